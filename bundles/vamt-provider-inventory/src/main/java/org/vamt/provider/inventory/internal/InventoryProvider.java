package org.vamt.provider.inventory.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.model.AMT_EthernetPortSettings;
import org.vamt.cim.model.CIM_BIOSElement;
import org.vamt.cim.model.CIM_BIOSFeature;
import org.vamt.cim.model.CIM_Card;
import org.vamt.cim.model.CIM_Chassis;
import org.vamt.cim.model.CIM_Chip;
import org.vamt.cim.model.CIM_ComputerSystemPackage;
import org.vamt.cim.model.CIM_MediaAccessDevice;
import org.vamt.cim.model.CIM_PhysicalMemory;
import org.vamt.cim.model.CIM_PhysicalPackage;
import org.vamt.cim.model.IPS_HostIPSettings;
import org.vamt.cim.model.IPS_IPv6PortSettings;
import org.vamt.cim.model.IPS_LANEndpoint;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Disk;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineHardware.SmbiosInfo;
import org.vamt.hypervisor.NicAddress;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/**
 * Hardware inventory as MeshCentral reads it (compat §4.5, §4.6), from the VM's definition so it
 * is right while the VM is off and follows every change of the definition. Each request reads the
 * current definition; nothing is cached here.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_ComputerSystemPackage",
    CimProvider.CLASSES + "=CIM_PhysicalPackage",
    CimProvider.CLASSES + "=CIM_Chassis",
    CimProvider.CLASSES + "=CIM_Card",
    CimProvider.CLASSES + "=CIM_Chip",
    CimProvider.CLASSES + "=CIM_PhysicalMemory",
    CimProvider.CLASSES + "=CIM_BIOSElement",
    CimProvider.CLASSES + "=CIM_MediaAccessDevice",
    CimProvider.CLASSES + "=AMT_EthernetPortSettings",
    CimProvider.CLASSES + "=IPS_HostIPSettings",
    CimProvider.CLASSES + "=IPS_IPv6PortSettings",
    CimProvider.CLASSES + "=IPS_LANEndpoint",
    CimProvider.CLASSES + "=CIM_BIOSFeature",
    CimProvider.CLASSES + "=CIM_Sensor",
    CimProvider.CLASSES + "=CIM_Fan",
    CimProvider.CLASSES + "=CIM_Battery",
    CimProvider.REALM_PREFIX + "CIM_ComputerSystemPackage=4",
    CimProvider.REALM_PREFIX + "CIM_SystemPackaging=4",
    CimProvider.REALM_PREFIX + "CIM_PhysicalFrame=4",
    CimProvider.REALM_PREFIX + "CIM_PhysicalPackage=4",
    CimProvider.REALM_PREFIX + "CIM_Chassis=4",
    CimProvider.REALM_PREFIX + "CIM_Card=4",
    CimProvider.REALM_PREFIX + "CIM_Chip=4",
    CimProvider.REALM_PREFIX + "CIM_PhysicalMemory=4",
    CimProvider.REALM_PREFIX + "CIM_BIOSElement=4",
    CimProvider.REALM_PREFIX + "CIM_MediaAccessDevice=4",
    CimProvider.REALM_PREFIX + "AMT_EthernetPortSettings=4,22",
    CimProvider.REALM_PREFIX + "IPS_HostIPSettings=4",
    CimProvider.REALM_PREFIX + "IPS_IPv6PortSettings=4",
    CimProvider.REALM_PREFIX + "IPS_LANEndpoint=4",
    CimProvider.REALM_PREFIX + "CIM_BIOSFeature=4",
    CimProvider.REALM_PREFIX + "CIM_Sensor=4",
    CimProvider.REALM_PREFIX + "CIM_Fan=4",
    CimProvider.REALM_PREFIX + "CIM_Battery=4"})
public class InventoryProvider implements CimProvider {
    static final String DEFAULT_VENDOR = "vAMT";
    /** Memory is reported as DIMMs of at most this size, as a PC of that size would have. */
    static final long DIMM_BYTES = 16L << 30;

    private final Hypervisor hypervisor;

    @Activate
    public InventoryProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        MachineHardware hw = hardware(ctx);
        return switch (className.toLowerCase(Locale.ROOT)) {
            case "cim_computersystempackage" -> List.of(systemPackage(ctx).toInstance());
            case "cim_chassis" -> List.of(chassis(ctx, hw).toInstance());
            case "cim_card" -> List.of(card(ctx, hw).toInstance());
            case "cim_physicalpackage" -> physicalPackages(ctx, hw);
            case "cim_chip" -> chips(hw);
            case "cim_physicalmemory" -> memory(ctx, hw);
            case "cim_bioselement" -> List.of(bios(hw).toInstance());
            case "cim_mediaaccessdevice" -> mediaDevices(hw);
            case "amt_ethernetportsettings" -> ethernetPorts(ctx, hw);
            case "ips_hostipsettings" -> List.of(hostIpSettings(ctx, hw).toInstance());
            case "ips_ipv6portsettings" -> ipv6Settings(hw);
            case "ips_lanendpoint" -> lanEndpoint(hw);
            case "cim_biosfeature" -> List.of(biosFeature(hw).toInstance());
            // A VM has no sensors, fans or battery (a libvirt domain defines none of them): served
            // and empty, as AMT answers on a desktop without them.
            case "cim_sensor", "cim_fan", "cim_battery" -> List.of();
            default -> List.of();
        };
    }

    private MachineHardware hardware(RequestContext ctx) throws CimException {
        try {
            return hypervisor.hardware(ctx.machineId());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    private static CimObjectPath chassisPath() {
        return new CIM_Chassis().setCreationClassName(CIM_Chassis.CLASS_NAME).setTag(CIM_Chassis.CLASS_NAME).path();
    }

    private static CIM_ComputerSystemPackage systemPackage(RequestContext ctx) {
        return new CIM_ComputerSystemPackage()
                .setAntecedent(chassisPath())
                .setDependent(AmtNames.managedSystem())
                .setPlatformGUID(PlatformGuid.of(ctx.machineId()));
    }

    private static CIM_Chassis chassis(RequestContext ctx, MachineHardware hw) {
        SmbiosInfo s = or(hw.chassis(), hw.system());
        return new CIM_Chassis()
                .setCreationClassName(CIM_Chassis.CLASS_NAME)
                .setTag(CIM_Chassis.CLASS_NAME)
                .setElementName("Managed System Chassis")
                .setManufacturer(text(s.manufacturer(), DEFAULT_VENDOR))
                .setModel(text(s.product(), "Virtual Machine"))
                .setSerialNumber(text(s.serial(), ctx.machineId()))
                .setVersion(text(s.version(), "1.0"))
                .setChassisPackageType(0)
                .setPackageType(3)
                .setOperationalStatus(0)
                .setPoweredOn(true);
    }

    private static CIM_Card card(RequestContext ctx, MachineHardware hw) {
        SmbiosInfo s = or(hw.baseboard(), hw.system());
        return new CIM_Card()
                .setCreationClassName(CIM_Card.CLASS_NAME)
                .setTag(CIM_Card.CLASS_NAME)
                .setElementName("Managed System Base Board")
                .setManufacturer(text(s.manufacturer(), DEFAULT_VENDOR))
                .setModel(text(s.product(), "Virtual Board"))
                .setSerialNumber(text(s.serial(), ctx.machineId()))
                .setVersion(text(s.version(), "1.0"))
                .setCanBeFRUed(true)
                .setOperationalStatus(0)
                .setPackageType(9);
    }

    /** Item 0 is the board (CIM_Card), then one package per disk: MeshCommander reads disk n at n + 1. */
    private static List<CimInstance> physicalPackages(RequestContext ctx, MachineHardware hw) {
        List<CimInstance> list = new ArrayList<>();
        list.add(card(ctx, hw).toInstance());
        int n = 0;
        for (Disk d : hw.disks()) {
            list.add(new CIM_PhysicalPackage()
                    .setCreationClassName(CIM_PhysicalPackage.CLASS_NAME)
                    .setTag("DISK " + n++)
                    .setElementName(d.cdrom() ? "Managed System Optical Drive" : "Managed System Disk")
                    .setManufacturer(DEFAULT_VENDOR)
                    .setModel((d.cdrom() ? "Virtual CD/DVD " : "Virtual Disk ") + d.bus())
                    .setSerialNumber(text(d.serial(), d.target()))
                    .setOperationalStatus(0)
                    .toInstance());
        }
        return list;
    }

    private static List<CimInstance> chips(MachineHardware hw) {
        List<CimInstance> list = new ArrayList<>();
        for (int socket = 0; socket < Math.max(1, hw.cpu().sockets()); socket++) {
            list.add(new CIM_Chip()
                    .setCreationClassName(CIM_Chip.CLASS_NAME)
                    .setTag("CPU " + socket)
                    .setElementName("Managed System Processor Chip")
                    .setManufacturer(text(hw.cpu().vendor(), "Unknown"))
                    .setVersion(text(hw.cpu().model(), "Virtual CPU"))
                    .setCanBeFRUed(true)
                    .setOperationalStatus(0)
                    .toInstance());
        }
        return list;
    }

    private static List<CimInstance> memory(RequestContext ctx, MachineHardware hw) {
        List<CimInstance> list = new ArrayList<>();
        long remaining = hw.memoryKiB() * 1024;
        for (int bank = 0; remaining > 0; bank++) {
            long size = Math.min(remaining, DIMM_BYTES);
            remaining -= size;
            list.add(new CIM_PhysicalMemory()
                    .setCreationClassName(CIM_PhysicalMemory.CLASS_NAME)
                    .setTag("Memory " + bank)
                    .setElementName("Managed System Memory Chip")
                    .setBankLabel("BANK " + bank)
                    .setCapacity(size)
                    // AMT reports the SMBIOS type 17 code (9 = DIMM), which MeshCommander decodes,
                    // not the DMTF ValueMap's 8 (compat §4.5).
                    .setFormFactor(9)
                    .setMemoryType(0)
                    .setManufacturer(DEFAULT_VENDOR)
                    .setPartNumber("Virtual DIMM")
                    .setSerialNumber(ctx.machineId().substring(0, 8) + "-" + bank)
                    // As AMT reports DDR4 DIMMs: Speed 0, the speed in MHz (MT/s) in MaxMemorySpeed
                    // and ConfiguredMemoryClockSpeed. A VM's memory is the host's: its SMBIOS speed,
                    // 0 (unknown, as QEMU's own SMBIOS tables say) when the host does not tell.
                    .setSpeed(0)
                    .setIsSpeedInMhz(true)
                    .setMaxMemorySpeed(hw.memoryMhz())
                    .setConfiguredMemoryClockSpeed(hw.memoryMhz())
                    .toInstance());
        }
        return list;
    }

    private static CIM_BIOSElement bios(MachineHardware hw) {
        MachineHardware.Firmware f = hw.firmware();
        String version = text(f.version(), f.uefi() ? "EDK II" : "SeaBIOS");
        CIM_BIOSElement b = new CIM_BIOSElement()
                .setName("Primary BIOS")
                .setElementName("Primary BIOS")
                .setManufacturer(text(f.vendor(), f.uefi() ? "EDK II" : "SeaBIOS"))
                .setVersion(version)
                .setSoftwareElementID(version)
                .setSoftwareElementState(2)
                .setTargetOperatingSystem(0)
                .setOperationalStatus(0)
                .setPrimaryBIOS(true);
        if (f.releaseDate() != null && f.releaseDate().matches("\\d{4}-\\d{2}-\\d{2}")) {
            b.setReleaseDate(new CimDateTime(f.releaseDate() + "T00:00:00Z", false));
        }
        return b;
    }

    private static List<CimInstance> mediaDevices(MachineHardware hw) {
        List<CimInstance> list = new ArrayList<>();
        int n = 0;
        for (Disk d : hw.disks()) {
            CIM_MediaAccessDevice m = new CIM_MediaAccessDevice()
                    .setCreationClassName(CIM_MediaAccessDevice.CLASS_NAME)
                    .setDeviceID("MEDIA DEV " + n++)
                    .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                    .setSystemName(AmtNames.MANAGED_SYSTEM)
                    .setElementName("Managed System Media Access Device")
                    // 4 = random access; 7 = removable media for optical drives.
                    .setCapabilities(d.cdrom() ? new long[] {4, 7} : new long[] {4})
                    .setEnabledDefault(2)
                    .setEnabledState(2)
                    .setOperationalStatus(0)
                    .setRequestedState(12)
                    .setSecurity(2)   // none
                    // MeshCentral multiplies MaxMediaSize by 1000: AMT reports kilobytes of 1000 bytes.
                    // Reported whether the VM runs or not, as AMT reports its BIOS inventory; 0 while
                    // the host cannot tell the size (an image it cannot read while the VM is off).
                    .setMaxMediaSize(d.capacity() / 1000);
            list.add(m.toInstance());
        }
        return list;
    }

    /**
     * The VM's first NIC as AMT's one wired port, instance 0. A real AMT manages exactly one wired
     * LAN port, and its instance 1 is always the wireless one: MeshCentral keeps the last port with
     * a MAC as "the" wired interface, so listing further NICs as wired ports made it show the last
     * NIC (on build-server a second NIC whose link is down) instead of the one AMT would use. NICs
     * after the first are like add-in cards on a PC, which AMT does not see.
     */
    private List<CimInstance> ethernetPorts(RequestContext ctx, MachineHardware hw) throws CimException {
        if (hw.nics().isEmpty()) {
            return List.of();
        }
        Nic nic = hw.nics().get(0);
        AMT_EthernetPortSettings port = new AMT_EthernetPortSettings()
                .setInstanceID("Intel(r) AMT Ethernet Port Settings 0")
                .setElementName("Intel(r) AMT Ethernet Port Settings")
                .setMACAddress(nic.mac() == null ? "00-00-00-00-00-00"
                        : nic.mac().toLowerCase(Locale.ROOT).replace(':', '-'))
                .setLinkIsUp(nic.linkUp())
                .setLinkPolicy(1, 14)
                .setSharedMAC(true)
                .setSharedDynamicIP(true)
                .setSharedStaticIp(false)
                .setIpSyncEnabled(true)
                .setDHCPEnabled(true)
                .setPhysicalConnectionType(0);
        // The host's IP settings, which AMT shares (SharedDynamicIP): what the host learns of the
        // running VM's NIC. AMT omits them while it has none (host off, no lease yet).
        Optional<NicAddress> ip = Optional.empty();
        if (nic.mac() != null) {
            try {
                ip = hypervisor.nicAddress(ctx.machineId(), nic.mac());
            } catch (HypervisorException e) {
                throw Machines.toCim(e);
            }
        }
        ip.ifPresent(a -> {
            port.setIPAddress(a.address()).setSubnetMask(a.subnetMask());
            if (a.gateway() != null) {
                port.setDefaultGateway(a.gateway());
            }
            if (!a.dns().isEmpty()) {
                port.setPrimaryDNS(a.dns().get(0));
            }
            if (a.dns().size() > 1) {
                port.setSecondaryDNS(a.dns().get(1));
            }
        });
        return List.of(port.toInstance());
    }

    /** The lease (or guest agent's view) of the VM's first NIC while it runs; empty otherwise. */
    private Optional<NicAddress> firstNicAddress(RequestContext ctx, MachineHardware hw) throws CimException {
        if (hw.nics().isEmpty() || hw.nics().get(0).mac() == null) {
            return Optional.empty();
        }
        try {
            return hypervisor.nicAddress(ctx.machineId(), hw.nics().get(0).mac());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /**
     * The host operating system's IPv4 settings as AMT knows them: the running VM's first NIC's
     * address, mask, gateway and DNS (DHCPEnabled true: a lease). While nothing is known (VM off,
     * no lease yet, no NIC) AMT answers only DHCPEnabled false and the names, and so does vAMT.
     */
    private IPS_HostIPSettings hostIpSettings(RequestContext ctx, MachineHardware hw) throws CimException {
        IPS_HostIPSettings s = new IPS_HostIPSettings()
                .setInstanceID("Intel(r) AMT: Host IP Settings")
                .setElementName("Intel(r) AMT: Host IP Settings")
                .setDHCPEnabled(false);
        firstNicAddress(ctx, hw).ifPresent(a -> {
            s.setDHCPEnabled(true).setIpAddress(a.address()).setSubnetMask(a.subnetMask());
            if (a.gateway() != null) {
                s.setDefaultGateway(a.gateway());
            }
            if (!a.dns().isEmpty()) {
                s.setPrimaryDNS(a.dns().get(0));
            }
            if (a.dns().size() > 1) {
                s.setSecondaryDNS(a.dns().get(1));
            }
        });
        return s;
    }

    /**
     * IPv6 of the wired port (instance 0, the only port a wired-only AMT has): off, every address
     * "::", as AMT ships it. vAMT does not manage IPv6 for the VM, so it never reports it on.
     */
    private static List<CimInstance> ipv6Settings(MachineHardware hw) {
        if (hw.nics().isEmpty()) {
            return List.of();
        }
        return List.of(new IPS_IPv6PortSettings()
                .setInstanceID("Intel(r) IPS IPv6 Settings 0")
                .setElementName("Intel(r) IPS IPv6 Settings 0")
                .setIPv6Address("::")
                .setDefaultRouter("::")
                .setPrimaryDNS("::")
                .setSecondaryDNS("::")
                .setCurrentDefaultRouter("::")
                .setCurrentPrimaryDNS("::")
                .setCurrentSecondaryDNS("::")
                .setInterfaceIDType(0L)
                .setManualInterfaceID("0000000000000000")
                .toInstance());
    }

    /** AMT's wired LAN endpoint: the first NIC's MAC as 12 lower-case hex digits (Ethernet, enabled). */
    private static List<CimInstance> lanEndpoint(MachineHardware hw) {
        if (hw.nics().isEmpty()) {
            return List.of();
        }
        String mac = hw.nics().get(0).mac();
        return List.of(new IPS_LANEndpoint()
                .setCreationClassName(IPS_LANEndpoint.CLASS_NAME)
                .setName("Intel(r) AMT LAN Endpoint")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setEnabledState(2)
                .setRequestedState(12)
                .setLANType(2)
                .setProtocolType(0)
                .setMACAddress(mac == null ? "000000000000" : mac.toLowerCase(Locale.ROOT).replace(":", ""))
                .toInstance());
    }

    /**
     * The BIOS features as AMT reports them from SMBIOS: the system's vendor, product and version
     * (the domain's SMBIOS system entry, else vAMT's defaults, as for the chassis). QEMU's own
     * SMBIOS type 0 says "characteristics not supported", so the characteristics are what the
     * VM's firmware does: PCI (7), boot from CD (27) and selectable boot (28) for OVMF and SeaBIOS
     * alike, plus BIOS shadowing (12) and EDD (31) for SeaBIOS, a legacy BIOS. Never 11
     * (upgradeable) or 29 (socketed ROM): the guest cannot flash or swap the host's firmware file.
     */
    private static CIM_BIOSFeature biosFeature(MachineHardware hw) {
        SmbiosInfo s = or(hw.system(), null);
        String version = text(s.version(), "1.0");
        return new CIM_BIOSFeature()
                .setName("Primary BIOS Features")
                .setElementName("Primary BIOS Features")
                .setVendor(text(s.manufacturer(), DEFAULT_VENDOR))
                .setProductName(text(s.product(), "Virtual Machine"))
                .setVersion(version)
                .setIdentifyingNumber(version)
                .setCharacteristics(hw.firmware().uefi() ? new long[] {7, 27, 28} : new long[] {7, 12, 27, 28, 31})
                .setOperationalStatus(0);
    }

    private static SmbiosInfo or(SmbiosInfo preferred, SmbiosInfo fallback) {
        if (preferred != null) {
            return preferred;
        }
        return fallback != null ? fallback : new SmbiosInfo(null, null, null, null, null);
    }

    private static String text(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
