package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;

/** {@link OneTimeBoot}: the boot order rewrite (pure) and the start sequence with a fake machine. */
class OneTimeBootTest {

    static final String OS_STYLE = "<domain type='kvm'>\n"
            + "  <name>vm</name>\n"
            + "  <metadata>\n"
            + "    <vamt:state xmlns:vamt=\"http://schemas.vamt.org/libvirt/1\">\n"
            + "      <vamt:ns name=\"libvirt.boot\" generation=\"1\">{\"device\":\"NETWORK\"}</vamt:ns>\n"
            + "      <vamt:entry key=\"host.name\">a &amp; b</vamt:entry>\n"
            + "    </vamt:state>\n"
            + "    <other:x xmlns:other=\"urn:other\">keep</other:x>\n"
            + "  </metadata>\n"
            + "  <os firmware='efi'>\n"
            + "    <type arch='x86_64' machine='q35'>hvm</type>\n"
            + "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>\n"
            + "    <boot dev='hd'/>\n"
            + "    <boot dev='cdrom'/>\n"
            + "    <boot dev='network'/>\n"
            + "    <bootmenu enable='no'/>\n"
            + "  </os>\n"
            + "  <devices>\n"
            + "    <graphics type='vnc' port='-1' passwd='s3cret'/>\n"
            + "  </devices>\n"
            + "</domain>\n";

    static final String PER_DEVICE = "<domain type='kvm'><name>vm</name><os><type>hvm</type></os><devices>"
            + "<disk type='file' device='disk'><target dev='vda'/><boot order='2'/></disk>"
            + "<disk type='file' device='disk'><target dev='vdb'/><boot order='1'/></disk>"
            + "<disk type='file' device='cdrom'><target dev='sdc'/></disk>"
            + "<interface type='network'><mac address='52:54:00:00:00:01'/><boot order='3' loadparm='x'/></interface>"
            + "<interface type='network'><mac address='52:54:00:00:00:02'/></interface>"
            + "<hostdev mode='subsystem' type='pci'><boot order='4'/></hostdev>"
            + "</devices></domain>";

    static List<String> osOrder(String xml) {
        List<String> devs = new ArrayList<>();
        Matcher m = Pattern.compile("<boot dev=['\"](\\w+)['\"]/>").matcher(xml);
        while (m.find()) {
            devs.add(m.group(1));
        }
        return devs;
    }

    /** "label:order" for every device with a boot order, document order. */
    static List<String> deviceOrders(String xml) throws HypervisorException {
        List<String> result = new ArrayList<>();
        for (org.w3c.dom.Element dev : DomainXml.children(DomainXml.child(DomainXml.parseDomain(xml), "devices"))) {
            org.w3c.dom.Element boot = DomainXml.child(dev, "boot");
            if (boot != null) {
                org.w3c.dom.Element target = DomainXml.child(dev, "target");
                org.w3c.dom.Element mac = DomainXml.child(dev, "mac");
                String label = target != null ? target.getAttribute("dev") : mac != null ? mac.getAttribute("address")
                        : DomainXml.name(dev);
                result.add(label + ":" + boot.getAttribute("order"));
            }
        }
        return result;
    }

    // ---------------------------------------------------------------- plan: <os><boot dev>

    @Test
    void osStyleMovesTheDeviceFirstAndKeepsTheRest() throws Exception {
        OneTimeBoot.Plan p = OneTimeBoot.plan(OS_STYLE, BootDevice.NETWORK);
        assertEquals(List.of("network", "hd", "cdrom"), osOrder(p.xml()));
        assertEquals("<os> boot order network, hd, cdrom", p.description());
        assertEquals(List.of("cdrom", "hd", "network"), osOrder(OneTimeBoot.plan(OS_STYLE, BootDevice.CDROM).xml()));
        assertEquals(List.of("hd", "cdrom", "network"), osOrder(OneTimeBoot.plan(OS_STYLE, BootDevice.HARD_DISK).xml()));
        String xml = p.xml();
        // secrets, firmware, loader, bootmenu, other metadata stay; boot elements stay before <bootmenu>
        assertTrue(xml.contains("passwd=\"s3cret\""), xml);
        assertTrue(xml.contains("firmware=\"efi\""), xml);
        assertTrue(xml.contains("OVMF_CODE.fd</loader>"), xml);
        assertTrue(xml.indexOf("<boot dev=\"cdrom\"/>") < xml.indexOf("<bootmenu"), xml);
        assertTrue(xml.contains("<other:x xmlns:other=\"urn:other\">keep</other:x>"), xml);
        // the pending device is gone from the new definition, the other entries are not
        assertTrue(xml.contains("<vamt:entry key=\"host.name\">a &amp; b</vamt:entry>"), xml);
        assertFalse(xml.contains("libvirt.boot"), xml);
        // indentation kept
        assertTrue(xml.contains("\n    <boot dev=\"network\"/>\n    <boot dev=\"hd\"/>\n    <boot dev=\"cdrom\"/>\n"
                + "    <bootmenu"), xml);
    }

    @Test
    void osStyleWithoutBootElementsMeansDiskAfterTheDevice() throws Exception {
        String xml = "<domain><os><type>hvm</type><smbios mode='sysinfo'/></os></domain>";
        OneTimeBoot.Plan p = OneTimeBoot.plan(xml, BootDevice.NETWORK);
        assertEquals(List.of("network", "hd"), osOrder(p.xml()));
        assertTrue(p.xml().indexOf("<boot") < p.xml().indexOf("<smbios"), p.xml());
        assertEquals(List.of("hd"), osOrder(OneTimeBoot.plan(xml, BootDevice.HARD_DISK).xml()));
        assertEquals(List.of("cdrom", "hd"), osOrder(OneTimeBoot.plan("<domain><os><type>hvm</type></os></domain>",
                BootDevice.CDROM).xml()));
    }

    @Test
    void withoutOsThereIsNoPlan() throws Exception {
        OneTimeBoot.Plan p = OneTimeBoot.plan("<domain><name>x</name></domain>", BootDevice.NETWORK);
        assertNull(p.xml());
    }

    @Test
    void notADomainOrBrokenXmlFails() {
        assertEquals(Reason.FAILED, assertThrows(HypervisorException.class,
                () -> OneTimeBoot.plan("<network/>", BootDevice.NETWORK)).reason());
        assertEquals(Reason.FAILED, assertThrows(HypervisorException.class,
                () -> OneTimeBoot.plan("<domain>", BootDevice.NETWORK)).reason());
        assertEquals(Reason.FAILED, assertThrows(HypervisorException.class, () -> OneTimeBoot.plan(
                "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>", BootDevice.NETWORK)).reason());
    }

    // ---------------------------------------------------------------- plan: per-device <boot order>

    @Test
    void perDeviceOrderGivesTheLowestOfItsKindOrderOneAndShiftsTheOthers() throws Exception {
        assertEquals(List.of("vda:2", "vdb:1", "52:54:00:00:00:01:3", "hostdev:4"), deviceOrders(PER_DEVICE));

        OneTimeBoot.Plan net = OneTimeBoot.plan(PER_DEVICE, BootDevice.NETWORK);
        assertEquals(List.of("vda:3", "vdb:2", "52:54:00:00:00:01:1", "hostdev:4"), deviceOrders(net.xml()));
        assertTrue(net.xml().contains("loadparm=\"x\""), "other boot attributes stay");
        assertEquals("per-device boot order: interface 52:54:00:00:00:01 first, then 3 other device(s) shifted",
                net.description());

        // the disk with the lowest order (vdb) is the hard disk; already first: same order
        assertEquals(List.of("vda:2", "vdb:1", "52:54:00:00:00:01:3", "hostdev:4"),
                deviceOrders(OneTimeBoot.plan(PER_DEVICE, BootDevice.HARD_DISK).xml()));

        // the CD-ROM had no order: it gets <boot order='1'/>, all others move one down
        assertEquals(List.of("vda:3", "vdb:2", "sdc:1", "52:54:00:00:00:01:4", "hostdev:5"),
                deviceOrders(OneTimeBoot.plan(PER_DEVICE, BootDevice.CDROM).xml()));
        assertTrue(osOrder(OneTimeBoot.plan(PER_DEVICE, BootDevice.CDROM).xml()).isEmpty(), "no <os><boot> added");
    }

    @Test
    void perDeviceOrderWithoutSuchDeviceHasNoPlan() throws Exception {
        String xml = "<domain><os><type>hvm</type></os><devices>"
                + "<disk device='disk'><target dev='vda'/><boot order='1'/></disk></devices></domain>";
        OneTimeBoot.Plan p = OneTimeBoot.plan(xml, BootDevice.CDROM);
        assertNull(p.xml());
        assertTrue(p.description().contains("no <disk device='cdrom'>"), p.description());
        assertNull(OneTimeBoot.plan(xml, BootDevice.NETWORK).xml());
        // a disk without device attribute is a disk
        String noAttr = "<domain><os><type>hvm</type></os><devices><interface><mac address='52:54:00:00:00:09'/>"
                + "<boot order='1'/></interface><disk type='file'><target dev='vda'/></disk></devices></domain>";
        assertEquals(List.of("52:54:00:00:00:09:2", "vda:1"),
                deviceOrders(OneTimeBoot.plan(noAttr, BootDevice.HARD_DISK).xml()));
    }

    // ---------------------------------------------------------------- start sequence

    /** Records calls; fails the numbered call of a kind when told to. */
    static final class FakeMachine implements OneTimeBoot.Machine {
        final List<String> calls = new ArrayList<>();
        final List<String> defined = new ArrayList<>();
        String definition = OS_STYLE;
        boolean running;
        boolean pending = true;
        int failDefine = -1;   // index of the define call that fails
        boolean failCreate;
        boolean failClear;

        @Override
        public String persistentDefinition() {
            calls.add("read");
            return definition;
        }

        @Override
        public void define(String xml) throws HypervisorException {
            calls.add("define");
            if (defined.size() == failDefine) {
                defined.add(null);
                throw new HypervisorException(Reason.FAILED, "define refused");
            }
            defined.add(xml);
            definition = xml;
        }

        @Override
        public void create() throws HypervisorException {
            calls.add("create");
            if (failCreate) {
                throw new HypervisorException(Reason.FAILED, "no memory");
            }
            running = true;
        }

        @Override
        public void clearPending() throws HypervisorException {
            calls.add("clear");
            if (failClear) {
                throw new HypervisorException(Reason.UNAVAILABLE, "gone");
            }
            pending = false;
        }
    }

    @Test
    void startDefinesStartsRestoresAndClears() throws Exception {
        FakeMachine m = new FakeMachine();
        OneTimeBoot.start(m, BootDevice.NETWORK, "'vm'");
        assertEquals(List.of("read", "define", "create", "define", "clear"), m.calls);
        assertEquals(List.of("network", "hd", "cdrom"), osOrder(m.defined.get(0)));
        assertEquals(OS_STYLE, m.defined.get(1), "the original text is defined back, unchanged");
        assertTrue(m.running);
        assertFalse(m.pending);
    }

    @Test
    void failedStartRestoresTheOriginalAndKeepsThePendingDevice() {
        FakeMachine m = new FakeMachine();
        m.failCreate = true;
        HypervisorException e = assertThrows(HypervisorException.class, () -> OneTimeBoot.start(m, BootDevice.CDROM, "'vm'"));
        assertEquals("no memory", e.getMessage());
        assertEquals(List.of("read", "define", "create", "define"), m.calls);
        assertEquals(OS_STYLE, m.definition);
        assertTrue(m.pending);
        assertFalse(m.running);
    }

    @Test
    void failedStartAndFailedRestoreReportBoth() {
        FakeMachine m = new FakeMachine();
        m.failCreate = true;
        m.failDefine = 1;
        HypervisorException e = assertThrows(HypervisorException.class, () -> OneTimeBoot.start(m, BootDevice.CDROM, "'vm'"));
        assertEquals("no memory", e.getMessage());
        assertEquals(1, e.getSuppressed().length);
        assertEquals("define refused", e.getSuppressed()[0].getMessage());
        assertTrue(m.pending);
    }

    @Test
    void failedDefineDoesNotStart() {
        FakeMachine m = new FakeMachine();
        m.failDefine = 0;
        assertThrows(HypervisorException.class, () -> OneTimeBoot.start(m, BootDevice.CDROM, "'vm'"));
        assertEquals(List.of("read", "define", "define"), m.calls);
        assertEquals(OS_STYLE, m.definition);
        assertFalse(m.running);
        assertTrue(m.pending);
    }

    @Test
    void startedButRestoreFailedIsFailed() {
        FakeMachine m = new FakeMachine();
        m.failDefine = 1;
        HypervisorException e = assertThrows(HypervisorException.class, () -> OneTimeBoot.start(m, BootDevice.CDROM, "'vm'"));
        assertEquals(Reason.FAILED, e.reason());
        assertTrue(e.getMessage().contains("started (booting from CDROM once)"), e.getMessage());
        assertTrue(m.running);
        assertEquals(List.of("read", "define", "create", "define"), m.calls);
    }

    @Test
    void startedButClearingFailedIsFailed() {
        FakeMachine m = new FakeMachine();
        m.failClear = true;
        HypervisorException e = assertThrows(HypervisorException.class, () -> OneTimeBoot.start(m, BootDevice.CDROM, "'vm'"));
        assertEquals(Reason.FAILED, e.reason());
        assertTrue(m.running);
        assertEquals(OS_STYLE, m.definition);
    }

    @Test
    void withoutSuchDeviceStartsNormallyAndClears() throws Exception {
        FakeMachine m = new FakeMachine();
        m.definition = "<domain><os><type>hvm</type></os><devices>"
                + "<disk device='disk'><target dev='vda'/><boot order='1'/></disk></devices></domain>";
        OneTimeBoot.start(m, BootDevice.NETWORK, "'vm'");
        assertEquals(List.of("read", "create", "clear"), m.calls);
        assertTrue(m.running);
        assertFalse(m.pending);
    }

    @Test
    void devNames() {
        assertEquals("network", OneTimeBoot.dev(BootDevice.NETWORK));
        assertEquals("hd", OneTimeBoot.dev(BootDevice.HARD_DISK));
        assertEquals("cdrom", OneTimeBoot.dev(BootDevice.CDROM));
    }
}
