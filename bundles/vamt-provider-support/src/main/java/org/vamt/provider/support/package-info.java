/** Helpers shared by providers that answer from the hypervisor. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.provider.support;
