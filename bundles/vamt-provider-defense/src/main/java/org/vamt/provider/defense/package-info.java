/**
 * What vamt-provider-defense owns and others may read: a VM's stored system defense state
 * (namespace {@code defense}). Only this bundle writes it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.vamt.provider.defense;
