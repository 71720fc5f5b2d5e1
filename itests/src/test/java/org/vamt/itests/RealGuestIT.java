package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.vamt.endpoints.Endpoints;

/**
 * Issue 7: vAMT on a real hypervisor. The distribution runs with {@code vamt-libvirt} on
 * qemu:///system (libvirtd + QEMU/TCG prepared by {@code tools/real-hypervisor start}); every
 * action goes through a VM's WS-Management endpoint, and its effect is observed in libvirt
 * ({@code virsh}) and in the guest (its serial log and console). Two domains of its own:
 * {@code vamt-it7-linux} (Debian kernel + busybox initramfs, 1 of 2 vCPUs, slirp e1000 NIC, a data
 * disk) and {@code vamt-it7-fw} (firmware only: SeaBIOS/iPXE on the serial port, boot order
 * cdrom, network). Each check's time is printed in a summary table at the end.
 *
 * <p>When the hypervisor cannot start, every test fails with what is missing: nothing is skipped.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class RealGuestIT {
    static final int PORT = 62992;
    static final String FIRST_ADDRESS = "127.0.62.1";
    static final long BOOT_MS = 120_000;
    static final String LOGIN = "vamt-guest login:";

    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String VAMT = "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/";
    static final String ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

    static final RealGuest LINUX = new RealGuest("linux", "701", "52:54:00:a7:07:01");
    static final RealGuest FIRMWARE = new RealGuest("fw", "702", "52:54:00:a7:07:02");
    static final RealGuest LATE = new RealGuest("late", "703", "52:54:00:a7:07:03");
    static final Path DATA_DISK = Paths.get("/var/lib/libvirt/images/vamt-it7-data.raw");
    static final long DATA_DISK_BYTES = 32L << 20;

    /** Check → measured time, in the order measured; printed by the last test. */
    static final Map<String, String> TIMES = new LinkedHashMap<>();
    private static boolean prepared;
    private static AssertionError preparationFailure;

    @Inject
    Endpoints endpoints;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("real-guest", PORT, "62181", "62101", "62099", "62444"),
            editConfigurationFilePut("etc/org.vamt.libvirt.cfg", "uri", RealGuest.URI),
            editConfigurationFilePut("etc/org.vamt.wsman.cfg", "firstAddress", FIRST_ADDRESS),
            // a guest that ignores ACPI must not hold up the suite for AMT's usual two minutes
            editConfigurationFilePut("etc/org.vamt.provider.power.cfg", "gracefulTimeoutSeconds", "60"),
            systemProperty("vamt.repo.root").value(RealGuest.repoRoot().toString()));
    }

    // ---------------------------------------------------------------- set-up and clean-up

    /**
     * Starts the real hypervisor and defines this test's domains (shut off), once per JVM: Pax Exam
     * runs every test method as a request of its own inside the container, with the class's
     * @BeforeClass around each. A failure fails every test with the same message.
     */
    @BeforeClass
    public static synchronized void prepare() throws IOException {
        if (preparationFailure != null) {
            throw preparationFailure;
        }
        if (prepared) {
            return;
        }
        try {
            RealGuest.startHypervisor();
            Files.createDirectories(DATA_DISK.getParent());
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(DATA_DISK.toFile(), "rw")) {
                f.setLength(DATA_DISK_BYTES);
            }
            LATE.remove();
            LINUX.define(linuxXml());
            FIRMWARE.define(firmwareXml());
            prepared = true;
        } catch (AssertionError e) {
            preparationFailure = e;
            throw e;
        }
    }

    /** Run by the last test, not @AfterClass: that runs after each test method in the container. */
    static void cleanUp() throws IOException {
        for (RealGuest g : List.of(LINUX, FIRMWARE, LATE)) {
            g.remove();
        }
        Files.deleteIfExists(DATA_DISK);
    }

    static String linuxXml() {
        return "<domain type='qemu'>"
            + "<name>" + LINUX.name + "</name><uuid>" + LINUX.uuid + "</uuid>"
            + "<memory unit='MiB'>128</memory><vcpu placement='static' current='1'>2</vcpu>"
            + "<sysinfo type='smbios'><system><entry name='manufacturer'>vAMT</entry>"
            + "<entry name='product'>Real Guest IT</entry><entry name='serial'>VAMT-IT7-0701</entry></system></sysinfo>"
            + "<os><type arch='x86_64' machine='pc'>hvm</type>"
            + "<kernel>/var/lib/libvirt/boot/vamt-vmlinux</kernel><initrd>/var/lib/libvirt/boot/vamt-initrd.gz</initrd>"
            + "<cmdline>console=ttyS0 quiet</cmdline><smbios mode='sysinfo'/></os>"
            + "<features><acpi/><apic/><tcg><tb-cache unit='MiB'>64</tb-cache></tcg></features><clock offset='utc'/>"
            + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
            + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
            + "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + DATA_DISK + "'/>"
            + "<target dev='hda' bus='ide'/><serial>IT7DATA</serial></disk>"
            + "<serial type='pty'><log file='" + LINUX.serialLog + "' append='off'/><target port='0'/></serial>"
            + "<console type='pty'><target type='serial' port='0'/></console>"
            + "<interface type='user'><mac address='" + LINUX.mac + "'/><model type='e1000'/></interface>"
            + "<memballoon model='none'/></devices></domain>";
    }

    static String firmwareXml() {
        return "<domain type='qemu'>"
            + "<name>" + FIRMWARE.name + "</name><uuid>" + FIRMWARE.uuid + "</uuid>"
            + "<memory unit='MiB'>64</memory><vcpu placement='static'>1</vcpu>"
            + "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/><boot dev='network'/>"
            + "<bios useserial='yes' rebootTimeout='5000'/></os>"
            + "<features><acpi/><apic/></features>"
            + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
            + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
            + "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>"
            + "<serial type='pty'><log file='" + FIRMWARE.serialLog + "' append='off'/><target port='0'/></serial>"
            + "<console type='pty'><target type='serial' port='0'/></console>"
            + "<interface type='user'><mac address='" + FIRMWARE.mac + "'/><model type='e1000'/></interface>"
            + "<memballoon model='none'/></devices></domain>";
    }

    static String lateXml() {
        return "<domain type='qemu'><name>" + LATE.name + "</name><uuid>" + LATE.uuid + "</uuid>"
            + "<memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
            + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>";
    }

    // ---------------------------------------------------------------- WS-Management through vAMT

    /** The VM's vAMT endpoint, once vAMT knows the VM. */
    WsmanClient client(RealGuest vm) {
        String[] address = new String[1];
        RealGuest.await("a vAMT endpoint for " + vm.name, 30_000, () -> {
            for (Endpoints.Endpoint e : endpoints.endpoints()) {
                if (e.uuid().equalsIgnoreCase(vm.uuid)) {
                    address[0] = e.address();
                    return true;
                }
            }
            return false;
        });
        return new WsmanClient(address[0], PORT);
    }

    private static int messageId = 1000;

    static String envelope(String action, String resourceUri, String selectors, String body) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
            + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
            + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
            + "<a:Action>" + action + "</a:Action><a:To>/wsman</a:To>"
            + "<w:ResourceURI>" + resourceUri + "</w:ResourceURI><a:MessageID>" + (++messageId) + "</a:MessageID>"
            + "<a:ReplyTo><a:Address>" + ANONYMOUS + "</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>"
            + (selectors == null ? "" : "<w:SelectorSet>" + selectors + "</w:SelectorSet>")
            + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    }

    static String selector(String name, String value) {
        return "<w:Selector Name=\"" + name + "\">" + value + "</w:Selector>";
    }

    static String epr(String resourceUri, String selectors) {
        return "<a:Address>" + ANONYMOUS + "</a:Address><a:ReferenceParameters><w:ResourceURI>" + resourceUri
            + "</w:ResourceURI><w:SelectorSet>" + selectors + "</w:SelectorSet></a:ReferenceParameters>";
    }

    static String post(WsmanClient client, String envelope, int expectedStatus) throws Exception {
        HttpResponse<String> r = client.post(envelope);
        assertEquals("HTTP status; answer: " + r.body(), expectedStatus, r.statusCode());
        return r.body();
    }

    static String invoke(WsmanClient client, String resourceUri, String method, String selectors, String input)
            throws Exception {
        String body = "<r:" + method + "_INPUT xmlns:r=\"" + resourceUri + "\">" + input + "</r:" + method + "_INPUT>";
        return post(client, envelope(resourceUri + "/" + method, resourceUri, selectors, body), 200);
    }

    static long returnValue(String answer) {
        Matcher m = Pattern.compile("ReturnValue>(\\d+)<").matcher(answer);
        assertTrue("a ReturnValue in " + answer, m.find());
        return Long.parseLong(m.group(1));
    }

    static List<String> values(String answer, String property) {
        Matcher m = Pattern.compile("<(?:\\w+:)?" + property + ">([^<]*)</").matcher(answer);
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    static String enumerate(WsmanClient client, String resourceUri) throws Exception {
        return post(client, client.enumerateAll(resourceUri), 200);
    }

    /** RequestPowerStateChange through CIM_PowerManagementService, as every AMT console sends it. */
    static long requestPowerState(WsmanClient client, int state) throws Exception {
        return returnValue(invoke(client, WsmanClient.CIM + "CIM_PowerManagementService", "RequestPowerStateChange",
            null, "<r:PowerState>" + state + "</r:PowerState><r:ManagedElement>"
                + epr(WsmanClient.CIM + "CIM_ComputerSystem", selector("CreationClassName", "CIM_ComputerSystem")
                    + selector("Name", "ManagedSystem")) + "</r:ManagedElement>"));
    }

    /** What vAMT reports: CIM_AssociatedPowerManagementService.PowerState. */
    static int powerState(WsmanClient client) throws Exception {
        List<String> states = values(enumerate(client, WsmanClient.CIM + "CIM_AssociatedPowerManagementService"),
            "PowerState");
        assertEquals("one PowerState: " + states, 1, states.size());
        return Integer.parseInt(states.get(0));
    }

    /** vAMT reads the state from libvirt per request, so it agrees with virsh at once. */
    static void assertPowerState(WsmanClient client, int expected) throws Exception {
        assertEquals("PowerState vAMT reports", expected, powerState(client));
    }

    // ---------------------------------------------------------------- timing

    static long now() {
        return System.nanoTime();
    }

    static String since(long start) {
        return String.format(java.util.Locale.ROOT, "%.2f s", (System.nanoTime() - start) / 1e9);
    }

    static void measured(String check, String time) {
        TIMES.put(check, time);
        System.out.println("RealGuestIT: " + check + ": " + time);
    }

    /** Powers the Linux guest on through vAMT when it is off and waits for its login prompt. */
    void linuxRunning(WsmanClient client) throws Exception {
        if (!"running".equals(LINUX.domstate())) {
            assertEquals(0, requestPowerState(client, 2));
            LINUX.awaitState("running", 30_000);
            LINUX.awaitSerial(LOGIN, 1, BOOT_MS);
        }
    }

    // ---------------------------------------------------------------- power

    @Test
    public void a1_powerOnBootsTheGuestToItsLoginPrompt() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        assertEquals("shut off", LINUX.domstate());
        assertPowerState(client, 8);
        long start = now();
        assertEquals(0, requestPowerState(client, 2));
        String accepted = since(start);
        LINUX.awaitState("running", 30_000);
        String running = since(start);
        LINUX.awaitSerial(LOGIN, 1, BOOT_MS);
        measured("power on (2): request answered", accepted);
        measured("power on (2): libvirt running", running);
        measured("power on (2): guest login prompt", since(start));
        assertPowerState(client, 2);
        assertTrue(LINUX.serial(), LINUX.serial().contains("cpus online 0\n"));
    }

    @Test
    public void a2_gracefulShutdownPowersTheGuestOffThroughAcpi() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        long start = now();
        assertEquals(0, requestPowerState(client, 12));
        LINUX.awaitSerial("ACPI power button -> poweroff", 1, 30_000);
        String guestSaw = since(start);
        LINUX.awaitState("shut off", 60_000);
        measured("graceful off (12): guest acpid runs poweroff", guestSaw);
        measured("graceful off (12): libvirt shut off", since(start));
        assertTrue(LINUX.virshShutoffReason(), LINUX.virshShutoffReason().contains("shutdown"));
        assertPowerState(client, 8);
    }

    @Test
    public void a3_hardOffPullsThePlug() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        long start = now();
        assertEquals(0, requestPowerState(client, 8));
        LINUX.awaitState("shut off", 30_000);
        measured("hard off (8): libvirt shut off", since(start));
        assertTrue(LINUX.virshShutoffReason(), LINUX.virshShutoffReason().contains("destroyed"));
        assertFalse("no ACPI shutdown in the guest: " + LINUX.serial(),
            LINUX.serial().contains("ACPI power button"));
        assertPowerState(client, 8);
    }

    @Test
    public void a4_resetRebootsTheGuestInTheSameQemu() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        String domid = LINUX.domid();
        int logins = LINUX.count(LOGIN);
        int boots = LINUX.count("vamt-guest: booted in");
        long start = now();
        assertEquals(0, requestPowerState(client, 10));
        LINUX.awaitSerial(LOGIN, logins + 1, BOOT_MS);
        measured("reset (10): guest login prompt again", since(start));
        assertEquals("the guest booted again", boots + 1, LINUX.count("vamt-guest: booted in"));
        assertEquals("a reset keeps the QEMU process", domid, LINUX.domid());
        assertEquals("running", LINUX.domstate());
        assertPowerState(client, 2);
    }

    /**
     * Issue 19: an AMT alarm (AMT_AlarmClockService.AddAlarm, as MeshCentral and DMT send it) powers
     * the shut-off guest on at its time, the guest boots, and IPS_HostBootReason says "alarm".
     */
    @Test
    public void a6_anAlarmPowersTheShutOffGuestOnAtItsTime() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        if (!"shut off".equals(LINUX.domstate())) {
            assertEquals(0, requestPowerState(client, 8));
            LINUX.awaitState("shut off", 30_000);
        }
        long due = (System.currentTimeMillis() / 1000 + 8) * 1000;
        String alarmService = AMT + "AMT_AlarmClockService";
        String ips = "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_AlarmClockOccurrence";
        String answer = invoke(client, alarmService, "AddAlarm", null, "<r:AlarmTemplate xmlns:s=\"" + ips + "\">"
            + "<s:InstanceID>it7-wake</s:InstanceID><s:StartTime><p:Datetime xmlns:p=\"http://schemas.dmtf.org/wbem/wscim/1/common\">"
            + java.time.Instant.ofEpochMilli(due) + "</p:Datetime></s:StartTime>"
            + "<s:DeleteOnCompletion>true</s:DeleteOnCompletion></r:AlarmTemplate>");
        assertEquals(answer, 0, returnValue(answer));
        while (System.currentTimeMillis() < due - 500) {
            assertEquals("off until the alarm's time", "shut off", LINUX.domstate());
            Thread.sleep(200);
        }
        // "within a few seconds": the 0.5 s tick plus QEMU's start, which takes seconds on a loaded host
        LINUX.awaitState("running", due - System.currentTimeMillis() + 5_000);
        long late = System.currentTimeMillis() - due;
        measured("alarm: libvirt running after the alarm's time", String.format(java.util.Locale.ROOT, "%.2f s", late / 1e3));
        assertTrue("running " + late + " ms after the alarm's time", late <= 5_000);
        long start = now();
        LINUX.awaitSerial(LOGIN, 1, BOOT_MS);   // a new QEMU starts its serial log afresh (append='off')
        measured("alarm: guest login prompt after power-on", since(start));
        String reason = post(client, client.get("http://intel.com/wbem/wscim/1/ips-schema/1/IPS_HostBootReason", null), 200);
        assertEquals(reason, List.of("3"), values(reason, "Reason"));
        assertEquals(reason, List.of("7"), values(reason, "PreviousSxState"));
        assertEquals("deleted on completion", List.of(), values(enumerate(client, ips), "InstanceID"));
    }

    @Test
    public void a5_powerCycleStartsAFreshQemu() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        String domid = LINUX.domid();
        long start = now();
        assertEquals(0, requestPowerState(client, 5));
        RealGuest.await("a new QEMU process", 30_000, () -> "running".equals(LINUX.domstate())
            && !domid.equals(LINUX.virshMayFail("domid", LINUX.uuid).output().trim()));
        LINUX.awaitSerial(LOGIN, 1, BOOT_MS);
        measured("power cycle (5): guest login prompt", since(start));
        assertEquals("the log starts afresh with the new QEMU", 1, LINUX.count("vamt-guest: booted in"));
        assertPowerState(client, 2);
    }

    // ---------------------------------------------------------------- vCPUs

    static String processors(WsmanClient client) throws Exception {
        return enumerate(client, VAMT + "Processor");
    }

    /** Processor n's property from the enumeration, or null when the instance does not have it. */
    static String processorValue(String answer, int n, String property) {
        Matcher m = Pattern.compile("<(\\w+):Processor>(.*?)</\\1:Processor>", Pattern.DOTALL).matcher(answer);
        while (m.find()) {
            String instance = m.group(2);
            if (values(instance, "Number").equals(List.of(String.valueOf(n)))) {
                List<String> v = values(instance, property);
                return v.isEmpty() ? null : v.get(0);
            }
        }
        throw new AssertionError("no Processor " + n + " in " + answer);
    }

    static long enable(WsmanClient client, int n, boolean enabled) throws Exception {
        return returnValue(invoke(client, VAMT + "Processor", "Enable", selector("Number", String.valueOf(n)),
            "<r:Enabled>" + enabled + "</r:Enabled>"));
    }

    @Test
    public void b1_processorEnableHotPlugsAVcpuTheGuestBringsOnline() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        assertEquals(1, LINUX.liveVcpus());
        assertEquals("3", processorValue(processors(client), 1, "EnabledState"));
        int onlined = LINUX.count("vamt-guest: onlined cpu1");
        long start = now();
        assertEquals(0, enable(client, 1, true));
        String answered = since(start);
        LINUX.awaitSerial("vamt-guest: onlined cpu1", onlined + 1, 30_000);
        measured("Processor.Enable(true): request answered (vCPU hot-plugged)", answered);
        measured("Processor.Enable(true): guest onlined cpu1", since(start));
        assertEquals(2, LINUX.liveVcpus());
        assertEquals(2, LINUX.configVcpus());
        LINUX.login();
        assertTrue(LINUX.console("cat /sys/devices/system/cpu/online", 20_000).contains("0-1"));
        String after = processors(client);
        assertEquals("2", processorValue(after, 1, "EnabledState"));
        assertEquals("no change pending", null, processorValue(after, 1, "RequestedState"));
    }

    /**
     * Under TCG (QEMU 7.2) a live vCPU unplug never completes and leaves QEMU broken, so vAMT does
     * not try it: Enable(false) changes the configuration, the vCPU keeps running and is reported
     * enabled with RequestedState 3 (disable pending) until the next power cycle, then disabled.
     */
    @Test
    public void b2_processorDisableTakesEffectAtTheNextPowerCycle() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        if (LINUX.liveVcpus() < 2) {
            assertEquals(0, enable(client, 1, true));
        }
        long start = now();
        assertEquals(0, enable(client, 1, false));
        measured("Processor.Enable(false): request answered (config only under TCG)", since(start));
        assertEquals("vCPU 1 still runs", 2, LINUX.liveVcpus());
        assertEquals("the next start has 1 vCPU", 1, LINUX.configVcpus());
        String pending = processors(client);
        assertEquals("reported enabled while it runs", "2", processorValue(pending, 1, "EnabledState"));
        assertEquals("disable pending", "3", processorValue(pending, 1, "RequestedState"));
        LINUX.login();
        assertTrue("the guest still has both vCPUs",
            LINUX.console("cat /sys/devices/system/cpu/online", 20_000).contains("0-1"));
        start = now();
        assertEquals(0, requestPowerState(client, 5));
        // the new QEMU's log starts empty: no trace of the hot-plugged vCPU, one boot with 1 vCPU
        RealGuest.await("the guest booted again with 1 vCPU", BOOT_MS, () -> !LINUX.serial().contains("onlined cpu1")
            && LINUX.serial().contains("cpus online 0\n") && LINUX.count(LOGIN) >= 1);
        assertEquals(1, LINUX.count("vamt-guest: booted in"));
        measured("Processor.Enable(false): power cycle to login with 1 vCPU", since(start));
        assertEquals(1, LINUX.liveVcpus());
        String after = processors(client);
        assertEquals("3", processorValue(after, 1, "EnabledState"));
        assertEquals(null, processorValue(after, 1, "RequestedState"));
    }

    // ---------------------------------------------------------------- network isolation

    static String createIsolatingPolicy(WsmanClient client) throws Exception {
        String uri = AMT + "AMT_SystemDefensePolicy";
        String answer = post(client, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", uri, null,
            "<g:AMT_SystemDefensePolicy xmlns:g=\"" + uri + "\"><g:InstanceID>0</g:InstanceID>"
                + "<g:PolicyName>Isolate</g:PolicyName><g:PolicyPrecedence>1</g:PolicyPrecedence>"
                + "<g:AntiSpoofingSupport>0</g:AntiSpoofingSupport><g:TxDefaultDrop>true</g:TxDefaultDrop>"
                + "<g:TxDefaultMatchEvent>false</g:TxDefaultMatchEvent><g:TxDefaultCount>false</g:TxDefaultCount>"
                + "<g:RxDefaultDrop>true</g:RxDefaultDrop><g:RxDefaultMatchEvent>false</g:RxDefaultMatchEvent>"
                + "<g:RxDefaultCount>false</g:RxDefaultCount></g:AMT_SystemDefensePolicy>"), 200);
        Matcher m = Pattern.compile("Name=\"InstanceID\">([^<]+)<").matcher(answer);
        assertTrue(answer, m.find());
        return m.group(1);
    }

    static String portPolicyLink(String policy) {
        return "<g:Antecedent>" + epr(WsmanClient.CIM + "CIM_EthernetPort", selector("DeviceID", "Intel(r) AMT Ethernet Port 0"))
            + "</g:Antecedent><g:Dependent>" + epr(AMT + "AMT_SystemDefensePolicy", selector("InstanceID", policy))
            + "</g:Dependent>";
    }

    /** The guest's view of its NIC: carrier (0 or 1) and whether a ping to the slirp gateway gets through. */
    static String carrier(RealGuest vm) throws IOException {
        return vm.console("cat /sys/class/net/eth0/carrier", 30_000).trim();
    }

    static boolean pingWorks(RealGuest vm) throws IOException {
        String out = vm.console("ping -c1 -W2 10.0.2.2 >/dev/null && echo PING_OK || echo PING_FAIL", 30_000);
        assertTrue(out, out.contains("PING_OK") || out.contains("PING_FAIL"));
        return out.contains("PING_OK");
    }

    static void awaitTraffic(RealGuest vm, String what) {
        RealGuest.await(what, 30_000, () -> {
            try {
                return pingWorks(vm);
            } catch (IOException e) {
                return false;
            }
        });
    }

    static void awaitCarrier(RealGuest vm, String expected, long timeoutMs) {
        RealGuest.await("carrier " + expected + " in the guest", timeoutMs, () -> {
            try {
                return expected.equals(carrier(vm));
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    public void c1_systemDefensePolicyIsolatesTheGuestAndRemovingItRestoresTheNetwork() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        LINUX.login();
        // a guest that has just booted may not have its link yet: e1000 reports carrier at its first watchdog run
        awaitCarrier(LINUX, "1", 15_000);
        awaitTraffic(LINUX, "traffic before isolating");

        String policy = createIsolatingPolicy(client);
        String uri = AMT + "AMT_NetworkPortSystemDefensePolicy";
        long start = now();
        post(client, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", uri, null,
            "<g:AMT_NetworkPortSystemDefensePolicy xmlns:g=\"" + uri + "\">" + portPolicyLink(policy)
                + "</g:AMT_NetworkPortSystemDefensePolicy>"), 200);
        measured("isolation: policy put on port 0 (request answered)", since(start));
        assertTrue("link down in the live definition", LINUX.liveXml().contains("<link state='down'/>"));
        assertTrue("and in the persistent one", LINUX.inactiveXml().contains("<link state='down'/>"));
        // the e1000 driver notices the link change at its next watchdog run (every 2 s)
        awaitCarrier(LINUX, "0", 15_000);
        measured("isolation: guest sees carrier 0", since(start));
        assertFalse("no traffic while isolated", pingWorks(LINUX));
        assertTrue(enumerate(client, AMT + "AMT_EthernetPortSettings").contains("LinkIsUp>false<"));

        // as consoles do (and AMT requires): take the policy off the port, then delete it
        start = now();
        post(client, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", uri,
            "<w:Selector Name=\"Antecedent\"><a:EndpointReference>" + epr(WsmanClient.CIM + "CIM_EthernetPort",
                selector("DeviceID", "Intel(r) AMT Ethernet Port 0")) + "</a:EndpointReference></w:Selector>"
                + "<w:Selector Name=\"Dependent\"><a:EndpointReference>" + epr(AMT + "AMT_SystemDefensePolicy",
                selector("InstanceID", policy)) + "</a:EndpointReference></w:Selector>", ""), 200);
        measured("isolation lifted: policy taken off port 0 (request answered)", since(start));
        post(client, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", AMT + "AMT_SystemDefensePolicy",
            selector("InstanceID", policy), ""), 200);
        assertFalse("link up in the live definition", LINUX.liveXml().contains("<link state='down'/>"));
        awaitCarrier(LINUX, "1", 15_000);
        measured("isolation lifted: guest sees carrier 1", since(start));
        awaitTraffic(LINUX, "traffic again");
        measured("isolation lifted: ping to the gateway works again", since(start));
        assertTrue(enumerate(client, AMT + "AMT_EthernetPortSettings").contains("LinkIsUp>true<"));
    }

    // ---------------------------------------------------------------- inventory

    @Test
    public void d1_inventoryMatchesTheRealDomain() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        long start = now();
        String xml = LINUX.liveXml();
        Matcher vcpu = Pattern.compile("<vcpu[^>]*>(\\d+)</vcpu>").matcher(xml);
        assertTrue(xml, vcpu.find());
        int maxVcpus = Integer.parseInt(vcpu.group(1));
        assertEquals("one CIM_Processor per possible vCPU", maxVcpus,
            values(enumerate(client, WsmanClient.CIM + "CIM_Processor"), "DeviceID").size());

        Matcher memory = Pattern.compile("<memory unit='KiB'>(\\d+)</memory>").matcher(xml);
        assertTrue(xml, memory.find());
        long bytes = Long.parseLong(memory.group(1)) * 1024;
        long reported = values(enumerate(client, WsmanClient.CIM + "CIM_PhysicalMemory"), "Capacity").stream()
            .mapToLong(Long::parseLong).sum();
        assertEquals("memory", bytes, reported);

        String media = enumerate(client, WsmanClient.CIM + "CIM_MediaAccessDevice");
        assertEquals("one disk: " + media, 1, values(media, "DeviceID").size());
        // AMT reports MaxMediaSize in kilobytes of 1000 bytes (MeshCentral multiplies by 1000)
        assertEquals("its capacity (virDomainGetBlockInfo)", List.of(String.valueOf(DATA_DISK_BYTES / 1000)),
            values(media, "MaxMediaSize"));

        String nics = enumerate(client, AMT + "AMT_EthernetPortSettings");
        assertEquals("the NIC's MAC", List.of(LINUX.mac.replace(':', '-')), values(nics, "MACAddress"));

        String bios = enumerate(client, WsmanClient.CIM + "CIM_BIOSElement");
        assertEquals("BIOS firmware", List.of("SeaBIOS"), values(bios, "Manufacturer"));

        String chassis = enumerate(client, WsmanClient.CIM + "CIM_Chassis");
        assertEquals("SMBIOS serial from the domain's sysinfo", List.of("VAMT-IT7-0701"), values(chassis, "SerialNumber"));
        assertEquals(List.of("vAMT"), values(chassis, "Manufacturer"));
        LINUX.login();
        String dmi = LINUX.console("cat /sys/class/dmi/id/product_serial", 20_000);
        assertTrue("the guest sees the same serial: " + dmi, dmi.contains("VAMT-IT7-0701"));
        measured("inventory: CPU, memory, disk, NIC, firmware, SMBIOS compared", since(start));
    }

    // ---------------------------------------------------------------- lifecycle events

    /**
     * vAMT learns of changes it did not make from libvirt's lifecycle events (no polling): a guest
     * powering itself off is reported off, and a domain defined meanwhile gets an endpoint, each
     * within a second.
     */
    @Test
    public void e1_lifecycleEventsReachVamtWithinASecond() throws Exception {
        prepare();
        WsmanClient client = client(LINUX);
        linuxRunning(client);
        LINUX.login();
        LINUX.type("poweroff\r");
        LINUX.awaitState("shut off", 60_000);
        long off = now();
        RealGuest.await("vAMT reports the guest off", 1_000, () -> {
            try {
                return powerState(client) == 8;
            } catch (Exception e) {
                return false;
            }
        });
        measured("event: guest powered itself off -> vAMT PowerState 8", since(off));

        long start = now();
        Path file = Files.createTempFile("vamt-it7-late", ".xml");
        try {
            Files.writeString(file, lateXml());
            RealGuest.virsh("define", file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
        long defined = now();
        RealGuest.await("vAMT endpoint for the newly defined domain", 1_000, () -> endpoints.endpoints().stream()
            .anyMatch(e -> e.uuid().equalsIgnoreCase(LATE.uuid)));
        measured("event: domain defined -> vAMT endpoint exists", since(defined));
        WsmanClient late = client(LATE);
        assertEquals("the new domain is reported off", 8, powerState(late));
        measured("event: virsh define -> vAMT answers for the new domain", since(start));
    }

    // ---------------------------------------------------------------- one-time boot

    /** SeaBIOS's first "Booting from ..." line, once complete (the serial log fills character by character). */
    static String firstBootLine(RealGuest vm) {
        String serial = vm.serial();
        int end = serial.lastIndexOf('\n');
        for (String line : serial.substring(0, end + 1).split("\n")) {
            if (line.startsWith("Booting from")) {
                return line;
            }
        }
        return null;
    }

    /**
     * MeshCommander's "reset to PXE": ChangeBootOrder(Force PXE Boot), SetBootConfigRole(1), then
     * reset; the boot order of a running QEMU cannot change, so vAMT power-cycles. The next power
     * cycle boots in the normal order again (CD first).
     */
    @Test
    public void f1_oneTimeBootDeviceAtTheNextStartThenTheNormalOrder() throws Exception {
        prepare();
        WsmanClient client = client(FIRMWARE);
        long start = now();
        if (!"running".equals(FIRMWARE.domstate())) {
            assertEquals(0, requestPowerState(client, 2));
        }
        RealGuest.await("SeaBIOS's first boot attempt", 60_000, () -> firstBootLine(FIRMWARE) != null);
        measured("firmware domain: power on -> first SeaBIOS boot attempt", since(start));
        assertTrue(FIRMWARE.serial(), firstBootLine(FIRMWARE).contains("DVD/CD"));
        String domid = FIRMWARE.domid();

        String config = WsmanClient.CIM + "CIM_BootConfigSetting";
        String configSelector = selector("InstanceID", "Intel(r) AMT: Boot Configuration 0");
        assertEquals(0, returnValue(invoke(client, config, "ChangeBootOrder", configSelector,
            "<r:Source>" + epr(WsmanClient.CIM + "CIM_BootSourceSetting",
                selector("InstanceID", "Intel(r) AMT: Force PXE Boot")) + "</r:Source>")));
        assertEquals(0, returnValue(invoke(client, WsmanClient.CIM + "CIM_BootService", "SetBootConfigRole", null,
            "<r:BootConfigSetting>" + epr(config, configSelector) + "</r:BootConfigSetting><r:Role>1</r:Role>")));
        start = now();
        assertEquals(0, requestPowerState(client, 10));
        RealGuest.await("a fresh QEMU booting again", 60_000, () -> {
            String line = firstBootLine(FIRMWARE);
            return line != null && !domid.equals(FIRMWARE.virshMayFail("domid", FIRMWARE.uuid).output().trim());
        });
        measured("one-time PXE boot: reset (10) -> first boot attempt", since(start));
        assertTrue("booted from the network first: " + FIRMWARE.serial(), firstBootLine(FIRMWARE).contains("ROM"));
        String inactive = FIRMWARE.inactiveXml();
        assertTrue("the normal order is kept in the definition: " + inactive,
            inactive.indexOf("<boot dev='cdrom'/>") >= 0
                && inactive.indexOf("<boot dev='cdrom'/>") < inactive.indexOf("<boot dev='network'/>"));

        String domid2 = FIRMWARE.domid();
        start = now();
        assertEquals(0, requestPowerState(client, 5));
        RealGuest.await("a fresh QEMU booting again", 60_000, () -> firstBootLine(FIRMWARE) != null
            && !domid2.equals(FIRMWARE.virshMayFail("domid", FIRMWARE.uuid).output().trim()));
        measured("normal order again: power cycle (5) -> first boot attempt", since(start));
        assertTrue("CD first again: " + FIRMWARE.serial(), firstBootLine(FIRMWARE).contains("DVD/CD"));
        assertEquals(0, requestPowerState(client, 8));
        FIRMWARE.awaitState("shut off", 30_000);
    }

    // ---------------------------------------------------------------- summary

    @Test
    public void z9_summaryAndCleanUp() throws Exception {
        prepare();
        cleanUp();
        StringBuilder table = new StringBuilder("\n| check (real guest, QEMU TCG on " + RealGuest.URI + ") | time |\n| --- | --- |\n");
        TIMES.forEach((check, time) -> table.append("| ").append(check).append(" | ").append(time).append(" |\n"));
        System.out.println(table);
        Path out = RealGuest.repoRoot().resolve("itests/target/real-guest-times.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table.toString());
        assertNotEquals("checks measured", 0, TIMES.size());
    }
}
