/** Hypervisor SPI: providers use it, vamt-libvirt implements it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.8.0")
package org.vamt.hypervisor;
