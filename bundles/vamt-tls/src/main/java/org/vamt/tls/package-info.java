/** vAMT's TLS identity: the key, certificate and TLS policy its listeners and providers share. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.tls;
