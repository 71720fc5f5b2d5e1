package org.vamt.hypervisor;

/** Devices a machine can be told to boot from once. */
public enum BootDevice {
    NETWORK, HARD_DISK, CDROM,
    /**
     * The CD-ROM drive holding the medium of a live IDE-R session ({@link Hypervisor#insertMedia});
     * without one at the start, the machine starts with its normal order (as AMT does when the
     * console is gone).
     */
    IDER_CDROM
}
