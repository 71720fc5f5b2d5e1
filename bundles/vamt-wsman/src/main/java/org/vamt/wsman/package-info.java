/** What the WS-Management front end tells the rest of vAMT: where each VM's endpoint is. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.vamt.wsman;
