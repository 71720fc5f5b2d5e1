/**
 * Hardened XML parsing, the one place where vAMT turns off DTDs, external entities and XInclude
 * for every parser it creates (WS-Man and legacy SOAP requests, libvirt domain XML, tests).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.security.xml;
