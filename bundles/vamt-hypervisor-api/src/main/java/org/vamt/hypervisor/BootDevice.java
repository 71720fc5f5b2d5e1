package org.vamt.hypervisor;

/** Devices a machine can be told to boot from once. */
public enum BootDevice {
    NETWORK, HARD_DISK, CDROM
}
