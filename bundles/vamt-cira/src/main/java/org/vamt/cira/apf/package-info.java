/** The APF protocol: messages and their codec (CIRA's wire format). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.cira.apf;
