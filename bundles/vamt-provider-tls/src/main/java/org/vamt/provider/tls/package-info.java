/**
 * What vamt-provider-tls owns and others may read: the certificates consoles added to a VM
 * (namespace {@code tls}). Only this bundle writes it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.vamt.provider.tls;
