/**
 * What vamt-provider-power owns and others may read: a VM's last remote power-on (namespace
 * {@code power-on}), which IPS_HostBootReason (vamt-provider-alarm) reports as the boot reason
 * "remote control". Only this bundle writes it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.vamt.provider.power;
