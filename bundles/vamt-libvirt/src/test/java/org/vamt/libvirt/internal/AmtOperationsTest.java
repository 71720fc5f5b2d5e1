package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Map;
import org.vamt.hypervisor.StateEntry;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineState;

/**
 * NMI, PM suspend, metadata, one-time boot and NIC link against libvirt's real test driver with the
 * demo machines (desktop-01, desktop-02, kiosk running; build-server shut off).
 */
class AmtOperationsTest {
    static final String NS = "http://schemas.vamt.org/libvirt/1";
    static final String BUILD_NIC = "52:54:00:a0:00:03";
    static final String BUILD_NIC_DOWN = "52:54:00:a0:00:13";
    static final String DESKTOP_NIC = "52:54:00:a0:00:01";

    private DemoHypervisor demo;
    private Hypervisor hv;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static Reason reasonOf(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(HypervisorException.class, e).reason();
    }

    private LibvirtConnection connection() {
        return ((LibvirtHypervisor) hv).connection();
    }

    /** {@code <os><boot dev>} values in order. */
    private static List<String> osBootOrder(String xml) {
        Matcher os = Pattern.compile("(?s)<os[ >].*?</os>").matcher(xml);
        assertTrue(os.find(), xml);
        List<String> devs = new ArrayList<>();
        Matcher m = Pattern.compile("<boot dev=['\"](\\w+)['\"]/>").matcher(os.group());
        while (m.find()) {
            devs.add(m.group(1));
        }
        return devs;
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private MachineState state(String uuid) throws HypervisorException {
        return hv.machine(uuid).orElseThrow().state();
    }

    private void define(String xml) throws HypervisorException {
        connection().call("define", "", c -> {
            c.domainDefineXML(xml).free();
            return null;
        });
    }

    // ---------------------------------------------------------------- NMI and PM suspend

    @Test
    void nmiOnRunningMachineWorksAndOnOffMachineIsInvalidState() throws Exception {
        hv.injectNmi(DESKTOP_01);
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.injectNmi(BUILD_SERVER)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.injectNmi(UNKNOWN)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.injectNmi("no-uuid")));
    }

    @Test
    void nmiOnOffMachineIsRefusedByTheDriverToo() {
        // without our own state check: the test driver answers OPERATION_INVALID itself
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> connection().call("nmi", BUILD_SERVER, c -> {
                    NativeVirt.injectNmi(c, BUILD_SERVER);
                    return null;
                }));
        assertEquals(Reason.INVALID_STATE, e.reason());
    }

    @Test
    void pmSuspendIsUnsupportedByTheTestDriver() throws Exception {
        assertEquals(Reason.UNSUPPORTED, reasonOf(() -> hv.suspend(DESKTOP_01, false)));
        assertEquals(Reason.UNSUPPORTED, reasonOf(() -> hv.suspend(DESKTOP_01, true)));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.suspend(BUILD_SERVER, false)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.suspend(UNKNOWN, true)));
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void metadataRoundTripTwoKeysOverwriteAndRemoval() throws Exception {
        assertEquals(Optional.empty(), get(BUILD_SERVER, "host.name"));
        put(BUILD_SERVER, "host.name", "build-01");
        put(BUILD_SERVER, "isolation-policy-2", "strict");
        assertEquals(Optional.of("build-01"), get(BUILD_SERVER, "host.name"));
        assertEquals(Optional.of("strict"), get(BUILD_SERVER, "isolation-policy-2"));
        put(BUILD_SERVER, "host.name", "build-02");
        assertEquals(Optional.of("build-02"), get(BUILD_SERVER, "host.name"));
        assertEquals(Optional.of("strict"), get(BUILD_SERVER, "isolation-policy-2"));
        // other machines are not affected
        assertEquals(Optional.empty(), get(DESKTOP_01, "host.name"));

        put(BUILD_SERVER, "host.name", null);
        assertEquals(Optional.empty(), get(BUILD_SERVER, "host.name"));
        assertEquals(Optional.of("strict"), get(BUILD_SERVER, "isolation-policy-2"));
        put(BUILD_SERVER, "host.name", null);   // removing twice is fine
        put(BUILD_SERVER, "isolation-policy-2", null);
        assertFalse(demo.persistentXml(BUILD_SERVER).contains(NS), "empty state should remove our element");
        assertEquals(Optional.empty(), get(BUILD_SERVER, "isolation-policy-2"));
    }

    @Test
    void metadataValuesWithSpecialCharacters() throws Exception {
        List<String> values = List.of("a<b>&c\"d'e", "</vamt:entry><evil/>", "]]>", "line1\nline2\r\nline3\ttab",
                "   ", "", " padded ", "ümlaut €uro 😀", "&amp; is not decoded", "<![CDATA[x]]>");
        for (int i = 0; i < values.size(); i++) {
            put(KIOSK, "k" + i, values.get(i));
        }
        for (int i = 0; i < values.size(); i++) {
            assertEquals(Optional.of(values.get(i)), get(KIOSK, "k" + i), "k" + i);
        }
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> put(KIOSK, "nul", "a\u0000b")));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> put(KIOSK, "bell", "\u0007")));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> put(KIOSK, "half", "\ud800")));
    }

    @Test
    void metadataKeysAreChecked() throws Exception {
        for (String bad : new String[] {null, "", "a b", "a/b", "ä", "a=b", "<x>", "a\"b", "A", "_x", "9x", "a_b",
                "x".repeat(64)}) {
            assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> put(KIOSK, bad, "v")), bad);
            assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> get(KIOSK, bad)), bad);
        }
        put(KIOSK, "a-z0.9", "ok");
        assertEquals(Optional.of("ok"), get(KIOSK, "a-z0.9"));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> put(UNKNOWN, "k", "v")));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> get(UNKNOWN, "k")));
    }

    @Test
    void metadataIsOneElementInOurNamespaceInTheDefinition() throws Exception {
        // running machine: live and persistent definition
        put(DESKTOP_01, "host.name", "desk & chair");
        put(DESKTOP_01, "boot.policy", "once");
        for (String xml : List.of(demo.persistentXml(DESKTOP_01), hv.definitionXml(DESKTOP_01))) {
            assertEquals(1, count(xml, "<metadata>"), xml);
            assertEquals(1, count(xml, "<vamt:state xmlns:vamt=\"" + NS + "\">"), xml);
            assertTrue(xml.contains("<vamt:ns name=\"host.name\" generation=\"1\">desk &amp; chair</vamt:ns>"), xml);
            assertTrue(xml.contains("<vamt:ns name=\"boot.policy\" generation=\"1\">once</vamt:ns>"), xml);
        }
        // shut-off machine: persistent definition
        put(BUILD_SERVER, "x", "1");
        assertTrue(demo.persistentXml(BUILD_SERVER).contains("<vamt:ns name=\"x\" generation=\"1\">1</vamt:ns>"));
        // and it survives a power cycle
        hv.powerOff(DESKTOP_01);
        hv.powerOn(DESKTOP_01);
        assertEquals(Optional.of("desk & chair"), get(DESKTOP_01, "host.name"));
    }

    @Test
    void metadataTravelsWithTheDefinitionToANewConnection(@TempDir Path dir) throws Exception {
        // The test driver keeps state per connection (a reconnect re-reads the node file), so
        // "survives" is shown the way it works for real hypervisors: the definition carries it.
        put(BUILD_SERVER, "host.name", "a<b>&\"c\"\nd");
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.CDROM);
        String definition = demo.persistentXml(BUILD_SERVER);
        Path node = dir.resolve("node.xml");
        Files.writeString(node, "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><maxcpus>4</maxcpus>"
                + "<nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>"
                + "<memory>16777216</memory>" + definition + "</node>");
        LibvirtHypervisor other = new LibvirtHypervisor();
        other.activate(TestSupport.config(TestSupport.testUri(node)));
        try {
            assertEquals(Optional.of("a<b>&\"c\"\nd"), Optional.ofNullable(other.readState(BUILD_SERVER, "host.name", Set.of()).json()));
            assertEquals(Optional.of(BootDevice.CDROM), other.nextBootDevice(BUILD_SERVER));
        } finally {
            other.deactivate();
        }
    }

    @Test
    void concurrentUpdatesOfOneMachineLoseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    put(DESKTOP_01, "key." + n, "value " + n);
                    if (n % 8 == 0) {
                        hv.setNextBootDevice(DESKTOP_01, BootDevice.values()[n / 8 % 3]);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 64; i++) {
            assertEquals(Optional.of("value " + i), get(DESKTOP_01, "key." + i), "key." + i);
        }
        assertTrue(hv.nextBootDevice(DESKTOP_01).isPresent());
    }

    // ---------------------------------------------------------------- typed state: compare-and-set

    @Test
    void writeStateIsACompareAndSetOnTheGeneration() throws Exception {
        StateEntry none = hv.readState(DESKTOP_01, "boot", Set.of());
        assertEquals(0, none.generation());
        assertNull(none.json());
        assertEquals(1, hv.writeState(DESKTOP_01, "boot", 0, "{\"a\":1}", Set.of()));
        assertEquals(2, hv.writeState(DESKTOP_01, "boot", 1, "{\"a\":2}", Set.of()));
        // a writer that read generation 1 lost: CONFLICT, and nothing changed
        HypervisorException stale = assertThrows(HypervisorException.class,
                () -> hv.writeState(DESKTOP_01, "boot", 1, "{\"a\":3}", Set.of()));
        assertEquals(Reason.CONFLICT, stale.reason());
        assertTrue(stale.getMessage().contains("changed meanwhile"), stale.getMessage());
        assertEquals(new StateEntry("boot", 2, "{\"a\":2}", Map.of()), hv.readState(DESKTOP_01, "boot", Set.of()));
        // so does one that thinks nothing is stored
        assertEquals(Reason.CONFLICT, reasonOf(() -> hv.writeState(DESKTOP_01, "boot", 0, "{}", Set.of())));
        // namespaces are independent
        assertEquals(1, hv.writeState(DESKTOP_01, "defense", 0, "{}", Set.of()));
        // removal
        assertEquals(0, hv.writeState(DESKTOP_01, "boot", 2, null, Set.of()));
        assertEquals(0, hv.readState(DESKTOP_01, "boot", Set.of()).generation());
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.writeState(DESKTOP_01, "boot", -1, "{}", Set.of())));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.writeState(UNKNOWN, "boot", 0, "{}", Set.of())));
        assertEquals(Reason.INVALID_ARGUMENT,
                reasonOf(() -> hv.writeState(DESKTOP_01, "big", 0, "x".repeat(DomainMetadata.MAX_JSON_LENGTH + 1), Set.of())));
    }

    @Test
    void oldUntypedKeysAreOfferedAndDroppedByTheMigratingWrite() throws Exception {
        putLegacy(KIOSK, "time.offsetSeconds", "42");
        putLegacy(KIOSK, "other.key", "stays");
        StateEntry e = hv.readState(KIOSK, "time", Set.of("time.offsetSeconds", "time.absent"));
        assertEquals(Map.of("time.offsetSeconds", "42"), e.legacy());
        assertEquals(1, hv.writeState(KIOSK, "time", 0, "{\"offsetSeconds\":42}", Set.of("time.offsetSeconds")));
        String xml = demo.persistentXml(KIOSK);
        assertFalse(xml.contains("time.offsetSeconds"), xml);
        assertTrue(xml.contains("other.key"), xml);
        assertEquals(Map.of(), hv.readState(KIOSK, "time", Set.of("time.offsetSeconds")).legacy());
    }

    private void putLegacy(String uuid, String key, String value) throws Exception {
        demo.putLegacy(uuid, key, value);
    }

    /** The namespace's JSON as stored. */
    private Optional<String> get(String uuid, String namespace) throws HypervisorException {
        return Optional.ofNullable(hv.readState(uuid, namespace, Set.of()).json());
    }

    /** Writes over whatever is there (null removes). */
    private void put(String uuid, String namespace, String json) throws HypervisorException {
        hv.writeState(uuid, namespace, hv.readState(uuid, namespace, Set.of()).generation(), json, Set.of());
    }

    // ---------------------------------------------------------------- one-time boot

    @Test
    void nextBootDeviceIsKeptInMetadata() throws Exception {
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.HARD_DISK);
        assertEquals(Optional.of(BootDevice.HARD_DISK), hv.nextBootDevice(BUILD_SERVER));
        assertEquals(Optional.of("{\"device\":\"HARD_DISK\"}"), get(BUILD_SERVER, DomainMetadata.BOOT_NAMESPACE));
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.CDROM);
        assertEquals(Optional.of(BootDevice.CDROM), hv.nextBootDevice(BUILD_SERVER));
        hv.setNextBootDevice(BUILD_SERVER, null);
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        hv.setNextBootDevice(BUILD_SERVER, null);
        // an unknown value (e.g. written by a newer vAMT) is ignored
        putLegacy(BUILD_SERVER, DomainMetadata.BOOT_NEXT, "USB");
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        put(BUILD_SERVER, DomainMetadata.BOOT_NAMESPACE, "{\"device\":\"FLOPPY\"}");
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        put(BUILD_SERVER, DomainMetadata.BOOT_NAMESPACE, "not json");
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        put(BUILD_SERVER, DomainMetadata.BOOT_NAMESPACE, null);
        // the old untyped form (vAMT before typed state) is honoured, and replaced by the next write
        putLegacy(BUILD_SERVER, DomainMetadata.BOOT_NEXT, "CDROM");
        assertEquals(Optional.of(BootDevice.CDROM), hv.nextBootDevice(BUILD_SERVER));
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.NETWORK);
        assertEquals(Optional.of(BootDevice.NETWORK), hv.nextBootDevice(BUILD_SERVER));
        assertFalse(demo.persistentXml(BUILD_SERVER).contains("boot.next"));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.setNextBootDevice(UNKNOWN, BootDevice.NETWORK)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.nextBootDevice(UNKNOWN)));
    }

    @Test
    void oneTimeNetworkBootOfBuildServer() throws Exception {
        String before = demo.persistentXml(BUILD_SERVER);
        assertEquals(List.of("network", "hd"), osBootOrder(before));
        put(BUILD_SERVER, "host.name", "build");
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.NETWORK);

        hv.powerOn(BUILD_SERVER);

        assertEquals(MachineState.RUNNING, state(BUILD_SERVER));
        List<String> live = osBootOrder(hv.definitionXml(BUILD_SERVER));
        assertEquals("network", live.get(0), live.toString());
        assertEquals(List.of("network", "hd"), osBootOrder(demo.persistentXml(BUILD_SERVER)));
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        assertEquals(Optional.of("build"), get(BUILD_SERVER, "host.name"));
        assertFalse(hv.definitionXml(BUILD_SERVER).contains(DomainMetadata.BOOT_NAMESPACE));
        assertFalse(demo.persistentXml(BUILD_SERVER).contains(DomainMetadata.BOOT_NAMESPACE));
    }

    @Test
    void oneTimeHardDiskBootPutsDiskFirstOnceOnly() throws Exception {
        hv.setNextBootDevice(BUILD_SERVER, BootDevice.HARD_DISK);
        String before = withoutMetadata(demo.persistentXml(BUILD_SERVER));
        hv.powerOn(BUILD_SERVER);
        assertEquals(List.of("hd", "network"), osBootOrder(hv.definitionXml(BUILD_SERVER)));
        assertEquals(List.of("network", "hd"), osBootOrder(demo.persistentXml(BUILD_SERVER)));
        // everything else of the definition is as before (only the pending device is gone)
        assertEquals(before, withoutMetadata(demo.persistentXml(BUILD_SERVER)));
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));
        // the next normal start uses the normal order again
        hv.powerOff(BUILD_SERVER);
        hv.powerOn(BUILD_SERVER);
        assertEquals(List.of("network", "hd"), osBootOrder(hv.definitionXml(BUILD_SERVER)));
        MachineHardware hw = hv.hardware(BUILD_SERVER);
        assertEquals(2, hw.disks().size());
        assertEquals(2, hw.nics().size());
    }

    @Test
    void runningMachineKeepsThePendingDeviceUntilItsNextStart() throws Exception {
        assertEquals(List.of("hd", "cdrom", "network"), osBootOrder(demo.persistentXml(DESKTOP_01)));
        hv.setNextBootDevice(DESKTOP_01, BootDevice.CDROM);
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.powerOn(DESKTOP_01)));
        hv.reset(DESKTOP_01);
        assertEquals(Optional.of(BootDevice.CDROM), hv.nextBootDevice(DESKTOP_01));
        // the provider power-cycles for a reset with a boot option
        hv.powerOff(DESKTOP_01);
        hv.powerOn(DESKTOP_01);
        assertEquals(List.of("cdrom", "hd", "network"), osBootOrder(hv.definitionXml(DESKTOP_01)));
        assertEquals(List.of("hd", "cdrom", "network"), osBootOrder(demo.persistentXml(DESKTOP_01)));
        assertEquals(Optional.empty(), hv.nextBootDevice(DESKTOP_01));
        // UEFI and the rest of <os> are kept
        String live = hv.definitionXml(DESKTOP_01);
        assertTrue(live.contains("firmware='efi'") || live.contains("firmware=\"efi\""), live);
    }

    @Test
    void resumingAPausedMachineKeepsThePendingDevice() throws Exception {
        connection().call("pause", KIOSK, c -> {
            c.domainLookupByUUIDString(KIOSK).suspend();
            return null;
        });
        hv.setNextBootDevice(KIOSK, BootDevice.HARD_DISK);
        hv.powerOn(KIOSK);   // resumes
        assertEquals(MachineState.RUNNING, state(KIOSK));
        assertEquals(Optional.of(BootDevice.HARD_DISK), hv.nextBootDevice(KIOSK));
    }

    @Test
    void definitionWithoutBootElementGetsDeviceThenDisk() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-0000000000e1";
        define("<domain type='test'><name>noboot</name><uuid>" + uuid + "</uuid><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
        hv.setNextBootDevice(uuid, BootDevice.NETWORK);
        hv.powerOn(uuid);
        assertEquals(List.of("network", "hd"), osBootOrder(hv.definitionXml(uuid)));
        assertEquals(Optional.empty(), hv.nextBootDevice(uuid));
        List<String> after = osBootOrder(demo.persistentXml(uuid));
        assertTrue(after.isEmpty() || after.equals(List.of("hd")), after.toString());
    }

    @Test
    void perDeviceBootOrderGivesTheWantedDeviceOrderOne() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-0000000000e2";
        define("<domain type='test'><name>perdev</name><uuid>" + uuid + "</uuid><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
                + "<disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/>"
                + "<boot order='1'/></disk>"
                + "<disk type='file' device='cdrom'><source file='/img/b.iso'/><target dev='sdc' bus='sata'/>"
                + "<readonly/></disk>"
                + "<interface type='network'><mac address='52:54:00:e2:00:01'/><source network='default'/>"
                + "<boot order='2'/></interface>"
                + "<graphics type='vnc' port='-1' autoport='yes' passwd='s3cret'/>"
                + "</devices></domain>");
        String before = demo.persistentXml(uuid);
        assertTrue(before.contains("passwd='s3cret'"), before);

        hv.setNextBootDevice(uuid, BootDevice.CDROM);
        hv.powerOn(uuid);

        String live = hv.definitionXml(uuid);
        assertEquals(List.of("vda:2", "sdc:1", "52:54:00:e2:00:01:3"), deviceOrders(live), live);
        String after = demo.persistentXml(uuid);
        assertEquals(List.of("vda:1", "52:54:00:e2:00:01:2"), deviceOrders(after), after);
        assertEquals(before, withoutMetadata(after), "the original definition (with the VNC password) is back");
        assertEquals(Optional.empty(), hv.nextBootDevice(uuid));

        // network: the interface gets 1, the disk moves behind it
        hv.powerOff(uuid);
        hv.setNextBootDevice(uuid, BootDevice.NETWORK);
        hv.powerOn(uuid);
        assertEquals(List.of("vda:2", "52:54:00:e2:00:01:1"), deviceOrders(hv.definitionXml(uuid)));
        assertEquals(before, withoutMetadata(demo.persistentXml(uuid)));
    }

    @Test
    void perDeviceBootOrderWithoutSuchDeviceStartsNormally() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-0000000000e3";
        define("<domain type='test'><name>nonic</name><uuid>" + uuid + "</uuid><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
                + "<disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/>"
                + "<boot order='1'/></disk></devices></domain>");
        String before = demo.persistentXml(uuid);
        hv.setNextBootDevice(uuid, BootDevice.NETWORK);
        hv.powerOn(uuid);
        assertEquals(MachineState.RUNNING, state(uuid));
        assertEquals(List.of("vda:1"), deviceOrders(hv.definitionXml(uuid)));
        assertEquals(Optional.empty(), hv.nextBootDevice(uuid), "used up (the firmware would fall back too)");
        assertEquals(before, withoutMetadata(demo.persistentXml(uuid)));
    }

    @Test
    void secretsSurviveTheOneTimeBoot() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-0000000000e4";
        define("<domain type='test'><name>vnc</name><uuid>" + uuid + "</uuid><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><boot dev='hd'/></os><devices>"
                + "<interface type='network'><mac address='52:54:00:e4:00:01'/><source network='default'/></interface>"
                + "<graphics type='vnc' port='-1' autoport='yes' passwd='s3cret'/></devices></domain>");
        hv.setNextBootDevice(uuid, BootDevice.NETWORK);
        hv.powerOn(uuid);
        assertEquals(List.of("network", "hd"), osBootOrder(hv.definitionXml(uuid)));
        assertFalse(hv.definitionXml(uuid).contains("s3cret"), "definitionXml must not show secrets");
        assertTrue(demo.persistentXml(uuid).contains("passwd='s3cret'"));
        hv.powerOff(uuid);
        hv.setNicLink(uuid, "52:54:00:e4:00:01", false);   // redefines the definition on the test driver
        assertTrue(demo.persistentXml(uuid).contains("passwd='s3cret'"));
    }

    /**
     * The definition without {@code <metadata>}: removing our last entry leaves an empty
     * {@code <metadata/>} (libvirt's doing), which is no difference that matters.
     */
    private static String withoutMetadata(String xml) {
        return xml.replaceAll("(?s)\\n\\s*<metadata>.*</metadata>", "").replaceAll("\\n\\s*<metadata/>", "");
    }

    /** "target-or-mac:order" of devices with a per-device boot order, in document order. */
    private static List<String> deviceOrders(String xml) throws HypervisorException {
        org.w3c.dom.Element domain = DomainXml.parseDomain(xml);
        List<String> result = new ArrayList<>();
        for (org.w3c.dom.Element dev : DomainXml.children(DomainXml.child(domain, "devices"))) {
            org.w3c.dom.Element boot = DomainXml.child(dev, "boot");
            if (boot == null) {
                continue;
            }
            org.w3c.dom.Element id = DomainXml.child(dev, "interface".equals(DomainXml.name(dev)) ? "mac" : "target");
            result.add(id.getAttribute("interface".equals(DomainXml.name(dev)) ? "address" : "dev") + ":"
                    + boot.getAttribute("order"));
        }
        return result;
    }

    // ---------------------------------------------------------------- NIC link

    private boolean linkUp(String uuid, String mac) throws HypervisorException {
        return hv.hardware(uuid).nics().stream().filter(n -> n.mac().equals(mac)).findFirst().orElseThrow().linkUp();
    }

    @Test
    void nicLinkDownAndUpOnShutOffMachine() throws Exception {
        put(BUILD_SERVER, "host.name", "kept");
        assertTrue(linkUp(BUILD_SERVER, BUILD_NIC));
        hv.setNicLink(BUILD_SERVER, BUILD_NIC, false);
        assertFalse(linkUp(BUILD_SERVER, BUILD_NIC));
        assertFalse(linkUp(BUILD_SERVER, BUILD_NIC_DOWN));
        hv.setNicLink(BUILD_SERVER, BUILD_NIC, true);
        assertTrue(linkUp(BUILD_SERVER, BUILD_NIC));
        hv.setNicLink(BUILD_SERVER, BUILD_NIC_DOWN.toUpperCase(), true);   // MAC in any case
        assertTrue(linkUp(BUILD_SERVER, BUILD_NIC_DOWN));
        hv.setNicLink(BUILD_SERVER, "52-54-00-A0-00-13", false);
        assertFalse(linkUp(BUILD_SERVER, BUILD_NIC_DOWN));
        assertEquals(Optional.of("kept"), get(BUILD_SERVER, "host.name"));
        // and the machine starts with it
        hv.powerOn(BUILD_SERVER);
        assertTrue(linkUp(BUILD_SERVER, BUILD_NIC));
        assertFalse(linkUp(BUILD_SERVER, BUILD_NIC_DOWN));
    }

    @Test
    void nicLinkOfRunningMachineIsUnsupportedLiveButSavedInTheDefinition() throws Exception {
        HypervisorException e = assertThrows(HypervisorException.class, () -> hv.setNicLink(DESKTOP_01, DESKTOP_NIC, false));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().contains("next start"), e.getMessage());
        assertTrue(linkUp(DESKTOP_01, DESKTOP_NIC), "the running machine's link is unchanged");
        assertTrue(demo.persistentXml(DESKTOP_01).contains("<link state='down'/>"));
        hv.powerOff(DESKTOP_01);
        assertFalse(linkUp(DESKTOP_01, DESKTOP_NIC));
        hv.setNicLink(DESKTOP_01, DESKTOP_NIC, true);
        assertTrue(linkUp(DESKTOP_01, DESKTOP_NIC));
    }

    @Test
    void nicLinkWithUnknownOrBadMac() {
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setNicLink(BUILD_SERVER, "52:54:00:ff:ff:ff", false)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setNicLink(DESKTOP_01, "52:54:00:ff:ff:ff", false)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setNicLink(BUILD_SERVER, "not-a-mac", false)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setNicLink(BUILD_SERVER, null, false)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.setNicLink(UNKNOWN, BUILD_NIC, false)));
    }
}
