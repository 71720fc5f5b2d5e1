/** What a CIM provider implements, and what the CIMOM offers to protocol front ends. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package org.vamt.cim.spi;
