/**
 * What vamt-provider-time owns and others may read: a VM's firmware clock (namespace {@code time}).
 * Only this bundle writes it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.vamt.provider.time;
