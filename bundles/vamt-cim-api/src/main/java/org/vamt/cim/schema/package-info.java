/** The CIM schema as compiled from MOF: classes, properties, methods, qualifiers. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.cim.schema;
