package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_02;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Cpu;
import org.vamt.hypervisor.MachineHardware.Disk;
import org.vamt.hypervisor.MachineHardware.Firmware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineHardware.SmbiosInfo;

/**
 * {@link LibvirtHypervisor#hardware} on the demo machines (features/src/main/cfg/vamt-demo-vms.xml) in
 * libvirt 9's test driver.
 */
class HardwareTest {
    /** What the test driver's virDomainGetBlockInfo answers for every disk with a source (a constant). */
    static final long TEST_DRIVER_CAPACITY = 1099506450432L;
    static final int HOST_MHZ = 2400;   // <node><cpu><mhz> of the demo file

    static final Firmware SEABIOS = new Firmware("SeaBIOS", "1.16.2-debian-1.16.2-1", "2014-04-01", false);
    static final Nic BUILD_NIC_1 = new Nic("52:54:00:a0:00:03", "virtio", "default", true);

    private LibvirtHypervisor hv;
    private TestSupport.Recorder events;

    @BeforeEach
    void activate() throws Exception {
        hv = new LibvirtHypervisor();
        events = new TestSupport.Recorder();
        hv.addMachineListener(events);
        hv.activate(TestSupport.config(TestSupport.testUri(DemoHypervisor.demoFile())));
    }

    @AfterEach
    void deactivate() {
        hv.deactivate();
    }

    private static SmbiosInfo board(String product, String n) {
        return new SmbiosInfo("vAMT", product, "1.0", "VAMT-BB-" + n, "VAMT-ASSET-" + n);
    }

    /** Chassis have no product entry in libvirt; the asset entry wins over the SKU. */
    private static SmbiosInfo chassis(String n) {
        return new SmbiosInfo("vAMT", null, "1.0", "VAMT-CH-" + n, "VAMT-ASSET-" + n);
    }

    @Test
    void desktop01IsUefiWithDiskAndCdrom() throws Exception {
        assertEquals(new MachineHardware(
                new Firmware("EDK II", "2022.11-6+deb12u2", "2023-02-08", true),
                new SmbiosInfo("vAMT", "Virtual Desktop", "1.0", "VAMT-DEMO-0001", "VAMT-VD"),
                board("Virtual Desktop Board", "0001"), chassis("0001"),
                new Cpu("Skylake-Client", "Intel", 1, 2, 2, HOST_MHZ),
                4L * 1024 * 1024,
                List.of(new Disk("vda", "virtio", false, "/var/lib/vamt/images/desktop-01.qcow2", TEST_DRIVER_CAPACITY,
                                "VAMT-DISK-0001"),
                        new Disk("hdc", "ide", true, "/var/lib/vamt/iso/installer.iso", TEST_DRIVER_CAPACITY, null)),
                List.of(new Nic("52:54:00:a0:00:01", "e1000", "default", true))),
                hv.hardware(DESKTOP_01));
    }

    @Test
    void desktop02() throws Exception {
        assertEquals(new MachineHardware(SEABIOS,
                new SmbiosInfo("vAMT", "Virtual Desktop", "1.0", "VAMT-DEMO-0002", "VAMT-VD"),
                board("Virtual Desktop Board", "0002"), chassis("0002"),
                new Cpu("Westmere", "Intel", 1, 2, 1, HOST_MHZ),
                2L * 1024 * 1024,
                List.of(new Disk("vda", "virtio", false, "/var/lib/vamt/images/desktop-02.qcow2", TEST_DRIVER_CAPACITY,
                        "VAMT-DISK-0002")),
                List.of(new Nic("52:54:00:a0:00:02", "e1000", "default", true))),
                hv.hardware(DESKTOP_02));
    }

    /** Off: the system disk's size from the demo pool's volume at its path; the data disk is in no pool. */
    @Test
    void buildServerIsOffSoOnlyItsPooledDiskHasACapacityUntilItRuns() throws Exception {
        MachineHardware expected = new MachineHardware(SEABIOS,
                new SmbiosInfo("vAMT", "Virtual Server", "1.0", "VAMT-DEMO-0003", "VAMT-VS"),
                board("Virtual Server Board", "0003"), chassis("0003"),
                new Cpu("EPYC-Rome", "AMD", 2, 4, 1, HOST_MHZ),
                8L * 1024 * 1024,
                List.of(new Disk("vda", "virtio", false, "/var/lib/vamt/images/build-server-system.qcow2",
                                TEST_DRIVER_CAPACITY, "VAMT-DISK-0003"),
                        new Disk("vdb", "virtio", false, "/var/lib/vamt/images/build-server-data.qcow2", 0,
                                "VAMT-DISK-0013")),
                List.of(BUILD_NIC_1, new Nic("52:54:00:a0:00:13", "virtio", "default", false)));
        assertEquals(expected, hv.hardware(BUILD_SERVER));

        hv.powerOn(BUILD_SERVER);
        events.await(BUILD_SERVER, MachineEvent.Type.STARTED);
        MachineHardware running = hv.hardware(BUILD_SERVER);
        assertEquals(List.of(TEST_DRIVER_CAPACITY, TEST_DRIVER_CAPACITY),
                running.disks().stream().map(Disk::capacity).collect(java.util.stream.Collectors.toList()));
        assertEquals(expected.nics(), running.nics());
        assertEquals(expected.cpu(), running.cpu());
    }

    @Test
    void kioskHasNoDisks() throws Exception {
        assertEquals(new MachineHardware(SEABIOS,
                new SmbiosInfo("vAMT", "Virtual Kiosk", "1.0", "VAMT-DEMO-0004", "VAMT-VK"),
                board("Virtual Kiosk Board", "0004"), chassis("0004"),
                new Cpu("qemu64", null, 1, 1, 1, HOST_MHZ),
                1024L * 1024,
                List.of(),
                List.of(new Nic("52:54:00:a0:00:04", "e1000", "default", true))),
                hv.hardware(KIOSK));
    }

    @Test
    void topologyMatchesMaximumVcpusOfEveryDemoMachine() throws Exception {
        for (String uuid : List.of(DESKTOP_01, DESKTOP_02, BUILD_SERVER, KIOSK)) {
            Cpu cpu = hv.hardware(uuid).cpu();
            assertEquals(hv.machine(uuid).orElseThrow().maxVcpus(), cpu.sockets() * cpu.cores() * cpu.threads(), uuid);
        }
    }

    @Test
    void redefinitionShowsInTheNextCall(@TempDir Path dir) throws Exception {
        String xml = hv.definitionXml(BUILD_SERVER);
        Path image = Files.createFile(dir.resolve("data.qcow2"));
        String changed = xml
                .replaceFirst("(?s)<interface type='network'>\\s*<mac address='52:54:00:a0:00:13'/>.*?</interface>",
                        "<interface type='bridge'><mac address='52:54:00:A0:00:23'/><source bridge='br0'/>"
                                + "<model type='e1000e'/></interface>")
                .replace("/var/lib/vamt/images/build-server-data.qcow2", image.toString());
        assertNotEquals(xml, changed);
        define(changed);

        MachineHardware hw = hv.hardware(BUILD_SERVER);
        assertEquals(List.of(BUILD_NIC_1, new Nic("52:54:00:a0:00:23", "e1000e", "br0", true)), hw.nics());
        // shut off, but the source exists here: libvirt is asked for the capacity
        assertEquals(new Disk("vdb", "virtio", false, image.toString(), TEST_DRIVER_CAPACITY, "VAMT-DISK-0013"),
                hw.disks().get(1));
        assertEquals(TEST_DRIVER_CAPACITY, hw.disks().get(0).capacity(), "the demo pool's volume");
    }

    @Test
    void runningMachineShowsItsLiveHardwareUntilItIsPowerCycled() throws Exception {
        String xml = hv.definitionXml(DESKTOP_02);
        define(xml.replace("</devices>", "<interface type='network'><mac address='52:54:00:a0:00:22'/>"
                + "<source network='lab'/><model type='virtio'/><link state='down'/></interface></devices>"));
        assertEquals(1, hv.hardware(DESKTOP_02).nics().size(), "flags 0: the live definition");

        hv.powerOff(DESKTOP_02);
        events.await(DESKTOP_02, MachineEvent.Type.STOPPED);
        List<Nic> nics = hv.hardware(DESKTOP_02).nics();
        assertEquals(List.of(new Nic("52:54:00:a0:00:02", "e1000", "default", true),
                new Nic("52:54:00:a0:00:22", "virtio", "lab", false)), nics);
    }

    @Test
    void unknownOrInvalidUuid() {
        assertEquals(Reason.NOT_FOUND, assertThrows(HypervisorException.class, () -> hv.hardware(UNKNOWN)).reason());
        assertEquals(Reason.INVALID_ARGUMENT,
                assertThrows(HypervisorException.class, () -> hv.hardware("nope")).reason());
        assertEquals(Reason.INVALID_ARGUMENT,
                assertThrows(HypervisorException.class, () -> hv.hardware(null)).reason());
    }

    @Test
    void anyUuidSpelling() throws Exception {
        assertEquals(hv.hardware(KIOSK), hv.hardware(KIOSK.toUpperCase().replace("-", "")));
        assertTrue(hv.hardware(DESKTOP_01).firmware().uefi());
    }

    private void define(String xml) throws HypervisorException {
        hv.connection().call("define", "test", c -> c.domainDefineXML(xml).free());
    }
}
