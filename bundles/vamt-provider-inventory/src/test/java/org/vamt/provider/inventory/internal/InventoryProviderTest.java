package org.vamt.provider.inventory.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** Inventory of the demo VMs from their libvirt definitions (real test driver). */
class InventoryProviderTest {
    private DemoHypervisor demo;
    private InventoryProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new InventoryProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private List<CimInstance> list(String uuid, String className) throws CimException {
        return provider.enumerateInstances(vm(uuid), className);
    }

    @Test
    void systemPackageCarriesThePlatformGuidAndLinksChassisToTheManagedSystem() throws Exception {
        CimInstance p = list(DESKTOP_01, "CIM_ComputerSystemPackage").get(0);
        assertEquals("521A8C6F1E4B6A4D9A01000000000001", p.get("PlatformGUID"));
        assertEquals("CIM_Chassis", ((CimObjectPath) p.get("Antecedent")).key("Tag"));
        assertEquals("ManagedSystem", ((CimObjectPath) p.get("Dependent")).key("Name"));
        assertEquals(List.of("Antecedent", "Dependent"), List.copyOf(p.keyNames()));
    }

    @Test
    void chassisBoardAndBiosComeFromSmbiosAndFirmware() throws Exception {
        CimInstance chassis = list(DESKTOP_01, "CIM_Chassis").get(0);
        assertEquals("vAMT", chassis.get("Manufacturer"));
        assertEquals("VAMT-CH-0001", chassis.get("SerialNumber"));
        CimInstance board = list(DESKTOP_01, "CIM_Card").get(0);
        assertEquals("VAMT-BB-0001", board.get("SerialNumber"));
        assertEquals(9L, board.get("PackageType"));
        CimInstance uefi = list(DESKTOP_01, "CIM_BIOSElement").get(0);
        assertEquals("EDK II", uefi.get("Manufacturer"));
        assertEquals("2023-02-08T00:00:00Z", ((org.vamt.cim.CimDateTime) uefi.get("ReleaseDate")).text());
        CimInstance seabios = list(KIOSK, "CIM_BIOSElement").get(0);
        assertTrue(String.valueOf(seabios.get("SoftwareElementID")).startsWith("1.16.2"), seabios.toString());
    }

    @Test
    void chipsPerSocketMemoryAndDisksWhileTheVmIsOff() throws Exception {
        List<CimInstance> chips = list(BUILD_SERVER, "CIM_Chip");
        assertEquals(2, chips.size(), "two sockets");
        assertEquals("EPYC-Rome", chips.get(0).get("Version"));
        assertEquals("Managed System Processor Chip", chips.get(1).get("ElementName"));
        List<CimInstance> memory = list(BUILD_SERVER, "CIM_PhysicalMemory");
        assertEquals(1, memory.size());
        assertEquals(8L << 30, memory.get(0).get("Capacity"));
        List<CimInstance> disks = list(BUILD_SERVER, "CIM_MediaAccessDevice");
        assertEquals(List.of("MEDIA DEV 0", "MEDIA DEV 1"), disks.stream().map(d -> d.get("DeviceID")).toList());
        // a powered-off AMT PC still reports its disks: the system disk's size from its storage
        // volume (demo pool), 0 for the data disk in no pool (MeshCentral then shows no size)
        assertEquals(1099506450L, disks.get(0).get("MaxMediaSize"));
        assertEquals(0L, disks.get(1).get("MaxMediaSize"));
        assertEquals("Managed System Media Access Device", disks.get(0).get("ElementName"));
        assertEquals(2L, disks.get(0).get("EnabledDefault"));
        assertEquals(2L, disks.get(0).get("Security"));
        assertEquals(List.of(0L), disks.get(0).get("OperationalStatus"));
        assertEquals(1099506450L, list(DESKTOP_01, "CIM_MediaAccessDevice").get(0).get("MaxMediaSize"));
    }

    /** AMT's DDR4 shape: Speed 0, the MHz in MaxMemorySpeed and ConfiguredMemoryClockSpeed (the host's). */
    @Test
    void memorySpeedIsTheHostsAndUnknownOnTheTestDriver() throws Exception {
        CimInstance dimm = list(DESKTOP_01, "CIM_PhysicalMemory").get(0);
        assertEquals(0L, dimm.get("Speed"));
        assertEquals(Boolean.TRUE, dimm.get("IsSpeedInMhz"));
        assertEquals(0L, dimm.get("MaxMemorySpeed"), "the test driver's host SMBIOS has no memory devices");
        assertEquals(0L, dimm.get("ConfiguredMemoryClockSpeed"));
    }

    @Test
    void everyPackageAndTheBiosReportOperationalStatus() throws Exception {
        for (String c : List.of("CIM_Chassis", "CIM_Card", "CIM_PhysicalPackage", "CIM_BIOSElement")) {
            for (CimInstance i : list(DESKTOP_01, c)) {
                assertEquals(List.of(0L), i.get("OperationalStatus"), c);
            }
        }
    }

    /** The running VM's lease on the demo network "default" (192.168.122.1/24, NAT): AMT shares the host's IP. */
    @Test
    void theWiredPortCarriesTheRunningVmsIpSettings() throws Exception {
        CimInstance port = list(DESKTOP_01, "AMT_EthernetPortSettings").get(0);
        assertEquals("192.168.122.3", port.get("IPAddress"));
        assertEquals("255.255.255.0", port.get("SubnetMask"));
        assertEquals("192.168.122.1", port.get("DefaultGateway"));
        assertEquals("192.168.122.1", port.get("PrimaryDNS"));
        assertNull(port.get("SecondaryDNS"), "the network serves one DNS server");
        CimInstance off = list(BUILD_SERVER, "AMT_EthernetPortSettings").get(0);
        for (String p : List.of("IPAddress", "SubnetMask", "DefaultGateway", "PrimaryDNS", "SecondaryDNS")) {
            assertNull(off.get(p), p + " is omitted while the VM is off, as AMT omits what it does not have");
        }
    }

    @Test
    void physicalPackagesStartWithTheBoardThenOnePerDisk() throws Exception {
        List<CimInstance> packages = list(DESKTOP_01, "CIM_PhysicalPackage");
        assertEquals("CIM_Card", packages.get(0).className());
        assertEquals(1 + list(DESKTOP_01, "CIM_MediaAccessDevice").size(), packages.size());
        assertEquals("VAMT-DISK-0001", packages.get(1).get("SerialNumber"));
    }

    @Test
    void onlyTheFirstNicIsTheWiredPortWithADashedMacAndItsLinkState() throws Exception {
        // build-server has two NICs, the second with its link down: AMT has one wired port.
        List<CimInstance> ports = list(BUILD_SERVER, "AMT_EthernetPortSettings");
        assertEquals(1, ports.size(), ports.toString());
        assertEquals("Intel(r) AMT Ethernet Port Settings 0", ports.get(0).get("InstanceID"));
        assertEquals("52-54-00-a0-00-03", ports.get(0).get("MACAddress"));
        assertEquals(Boolean.TRUE, ports.get(0).get("LinkIsUp"));
        assertNull(ports.get(0).get("WLANLinkProtectionLevel"), "MeshCentral takes that property to mean wireless");
    }

    /** IPS_HostIPSettings: the host OS's IPv4 settings AMT knows, i.e. the running VM's first NIC's lease. */
    @Test
    void hostIpSettingsAreTheRunningVmsLeaseAndOnlyDhcpFalseWhileUnknown() throws Exception {
        List<CimInstance> on = list(DESKTOP_01, "IPS_HostIPSettings");
        assertEquals(1, on.size());
        CimInstance s = on.get(0);
        assertEquals("Intel(r) AMT: Host IP Settings", s.get("InstanceID"));
        assertEquals(Boolean.TRUE, s.get("DHCPEnabled"), "a libvirt lease is a DHCP address");
        assertEquals("192.168.122.3", s.get("IpAddress"));
        assertEquals("255.255.255.0", s.get("SubnetMask"));
        assertEquals("192.168.122.1", s.get("DefaultGateway"));
        assertEquals("192.168.122.1", s.get("PrimaryDNS"));
        assertNull(s.get("SecondaryDNS"));
        CimInstance off = list(BUILD_SERVER, "IPS_HostIPSettings").get(0);
        assertEquals(Boolean.FALSE, off.get("DHCPEnabled"), "AMT's answer when it knows nothing of the host's IP");
        for (String p : List.of("IpAddress", "SubnetMask", "DefaultGateway", "PrimaryDNS", "SecondaryDNS")) {
            assertNull(off.get(p), p + " is omitted while the VM is off");
        }
    }

    @Test
    void ipv6IsOffOnTheWiredPortAsAmtShipsIt() throws Exception {
        List<CimInstance> v6 = list(BUILD_SERVER, "IPS_IPv6PortSettings");
        assertEquals(1, v6.size(), "one wired port, however many NICs");
        CimInstance s = v6.get(0);
        assertEquals("Intel(r) IPS IPv6 Settings 0", s.get("InstanceID"));
        assertEquals(0L, s.get("InterfaceIDType"));
        assertEquals("0000000000000000", s.get("ManualInterfaceID"));
        for (String p : List.of("IPv6Address", "DefaultRouter", "PrimaryDNS", "SecondaryDNS", "CurrentDefaultRouter",
                "CurrentPrimaryDNS", "CurrentSecondaryDNS")) {
            assertEquals("::", s.get(p), p);
        }
    }

    @Test
    void theLanEndpointCarriesTheFirstNicsMacAsTwelveHexDigits() throws Exception {
        List<CimInstance> lan = list(BUILD_SERVER, "IPS_LANEndpoint");
        assertEquals(1, lan.size());
        CimInstance e = lan.get(0);
        assertEquals("525400a00003", e.get("MACAddress"));
        assertEquals("Intel(r) AMT LAN Endpoint", e.get("Name"));
        assertEquals("Intel(r) AMT", e.get("SystemName"));
        assertEquals(2L, e.get("LANType"));
        assertEquals(2L, e.get("EnabledState"));
    }

    @Test
    void biosFeaturesFollowTheFirmwareAndTheSystemSmbios() throws Exception {
        CimInstance uefi = list(DESKTOP_01, "CIM_BIOSFeature").get(0);
        assertEquals("Primary BIOS Features", uefi.get("Name"));
        assertEquals(List.of(7L, 27L, 28L), uefi.get("Characteristics"));
        CimInstance seabios = list(KIOSK, "CIM_BIOSFeature").get(0);
        assertEquals(List.of(7L, 12L, 27L, 28L, 31L), seabios.get("Characteristics"));
        assertEquals(seabios.get("Version"), seabios.get("IdentifyingNumber"));
    }

    @Test
    void aVmHasNoSensorsFansOrBatteryButMustExist() throws Exception {
        for (String cls : List.of("CIM_Sensor", "CIM_Fan", "CIM_Battery")) {
            assertTrue(list(DESKTOP_01, cls).isEmpty(), cls);
            CimException e = org.junit.jupiter.api.Assertions.assertThrows(CimException.class,
                    () -> list(DemoHypervisor.UNKNOWN, cls));
            assertEquals(CimStatus.NOT_FOUND, e.status(), cls);
        }
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = org.junit.jupiter.api.Assertions.assertThrows(CimException.class,
                () -> list(DemoHypervisor.UNKNOWN, "CIM_Chassis"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
