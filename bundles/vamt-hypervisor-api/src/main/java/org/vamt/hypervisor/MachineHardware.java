package org.vamt.hypervisor;

import java.io.Serializable;
import java.util.List;

/**
 * The virtual hardware of a machine as its definition describes it, so inventory is right even
 * while the machine is off. Values the hypervisor does not know are null (or 0 for sizes).
 *
 * @param firmware    the BIOS or UEFI firmware
 * @param system      SMBIOS system information (type 1) as the guest sees it
 * @param baseboard   SMBIOS baseboard (type 2)
 * @param chassis     SMBIOS chassis (type 3)
 * @param cpu         processor model and topology
 * @param memoryKiB   configured memory in KiB
 * @param disks       disks and optical drives, in definition order
 * @param nics        network interfaces, in definition order
 * @param memoryMhz   speed of the host's memory in MHz (MT/s) from its SMBIOS, or 0 when unknown
 */
public record MachineHardware(Firmware firmware, SmbiosInfo system, SmbiosInfo baseboard, SmbiosInfo chassis, Cpu cpu,
                              long memoryKiB, List<Disk> disks, List<Nic> nics, int memoryMhz) implements Serializable {
    public MachineHardware {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
    }

    /** Hardware whose memory speed is unknown. */
    public MachineHardware(Firmware firmware, SmbiosInfo system, SmbiosInfo baseboard, SmbiosInfo chassis, Cpu cpu,
                           long memoryKiB, List<Disk> disks, List<Nic> nics) {
        this(firmware, system, baseboard, chassis, cpu, memoryKiB, disks, nics, 0);
    }

    /**
     * @param vendor      e.g. "SeaBIOS" or "EDK II"
     * @param version     firmware version string
     * @param releaseDate ISO date (yyyy-mm-dd) or null
     * @param uefi        true for UEFI (OVMF), false for legacy BIOS
     */
    public record Firmware(String vendor, String version, String releaseDate, boolean uefi) implements Serializable {
    }

    /** SMBIOS identification strings; any may be null. */
    public record SmbiosInfo(String manufacturer, String product, String version, String serial, String assetTag)
            implements Serializable {
    }

    /**
     * @param model    the CPU model name the guest sees (e.g. "Skylake-Client" or "QEMU Virtual CPU")
     * @param vendor   e.g. "Intel"; null if unknown
     * @param sockets  sockets
     * @param cores    cores per socket
     * @param threads  threads per core
     * @param mhz      clock in MHz from the host, or 0
     * @param maxMhz   the host processor's maximum clock in MHz from its SMBIOS, or 0 when unknown
     * @param busMhz   the host processor's external (bus) clock in MHz from its SMBIOS, or 0 when unknown
     * @param stepping the host processor's stepping from its SMBIOS signature, or null when unknown
     */
    public record Cpu(String model, String vendor, int sockets, int cores, int threads, int mhz, int maxMhz,
                      int busMhz, String stepping) implements Serializable {
        /** A CPU of which the host tells only the current clock. */
        public Cpu(String model, String vendor, int sockets, int cores, int threads, int mhz) {
            this(model, vendor, sockets, cores, threads, mhz, 0, 0, null);
        }
    }

    /**
     * @param target     the guest device name (vda, sda, hdc…)
     * @param bus        virtio, sata, ide, scsi…
     * @param cdrom      true for optical drives
     * @param source     backing file or volume, or null (e.g. an empty CD-ROM)
     * @param capacity   size in bytes, or 0 when unknown
     * @param serial     the disk's serial, or null
     */
    public record Disk(String target, String bus, boolean cdrom, String source, long capacity, String serial)
            implements Serializable {
    }

    /**
     * @param mac      MAC address, lower case with colons
     * @param model    device model (virtio, e1000…)
     * @param network  the network or bridge it is attached to
     * @param linkUp   the link state set on the device
     */
    public record Nic(String mac, String model, String network, boolean linkUp) implements Serializable {
    }
}
