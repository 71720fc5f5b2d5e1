/** The CIM object model shared by the CIMOM, the WS-Management layer and providers. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.cim;
