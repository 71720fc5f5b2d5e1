package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Starts the real distribution as an operator would ({@code bin/karaf server}) and drives it with
 * real third-party AMT clients: MeshCentral's own AMT stack and Intel's wsman-messages from npm,
 * and curl. Demo VMs sorted by name get 127.0.0.2 (build-server, off), .3 (desktop-01),
 * .4 (desktop-02), .5 (kiosk). Each VM gets one MeshCentral and one DMT session: connect,
 * inventory, network, every class and safe method, power actions and the consoles' boot flows;
 * every session leaves the VM's power state as it found it, so the tests run in any order.
 */
public class RealClientsIT {
    static final int PORT = 36992;
    static Process karaf;
    static Path home;
    static Path node = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));

    @BeforeClass
    public static void startDistribution() throws Exception {
        Path e2e = Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e"));
        try (Stream<Path> s = Files.list(e2e)) {
            home = s.filter(p -> Files.isDirectory(p.resolve("bin"))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unpacked distribution in " + e2e));
        }
        DistributionFiles.deleteTree(home.resolve("data"));
        setProperty("etc/org.vamt.wsman.cfg", "port", String.valueOf(PORT));
        setProperty("etc/org.vamt.wsman.cfg", "tlsPort", String.valueOf(PORT + 1));
        setProperty("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", "38181");
        setProperty("etc/org.apache.karaf.shell.cfg", "sshPort", "38101");
        setProperty("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", "31099");
        setProperty("etc/org.apache.karaf.management.cfg", "rmiServerPort", "34444");
        if (!Files.isDirectory(node.resolve("node_modules/meshcentral"))) {
            fail("Node packages missing: run 'npm ci --omit=optional --ignore-scripts' in " + node
                    + " (./vamt test does it)");
        }
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("karaf-console.log").toFile());
        pb.environment().put("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD);
        WsmanClient client = new WsmanClient("127.0.0.2", PORT);
        try {
            client.send(WsmanClient.identify(), null);
            fail("something already answers on port " + PORT + ": a stale vAMT? Stop it first.");
        } catch (IOException expected) {
            // the port is free
        }
        long start = System.nanoTime();
        karaf = pb.start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (true) {
            try {
                if (client.send(WsmanClient.identify(), null).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (!karaf.isAlive() || System.currentTimeMillis() > deadline) {
                fail("vAMT did not answer Identify within 120 s; see " + home.resolve("karaf-console.log"));
            }
            Thread.sleep(100);
        }
        System.out.printf("vAMT cold start to first Identify answer: %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    @AfterClass
    public static void stopDistribution() throws Exception {
        if (karaf != null) {
            // bin/karaf starts java as a child rather than exec'ing it: stop the whole tree.
            List<ProcessHandle> tree = new ArrayList<>(karaf.descendants().toList());
            tree.add(karaf.toHandle());
            tree.forEach(ProcessHandle::destroy);
            for (ProcessHandle p : tree) {
                try {
                    p.onExit().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /**
     * Runs one client script; returns its JSON lines, failing the test on a non-zero exit with the
     * failing step's line. {@code label} names the VM in failure messages.
     */
    static List<String> runClient(String label, String script, String host, String... steps) throws Exception {
        return runClient(label, script, host, PORT, steps);
    }

    /** {@link #runClient(String, String, String, String...)} against another distribution's port. */
    static List<String> runClient(String label, String script, String host, int port, String... steps)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", node.resolve(script).toString(), host,
                String.valueOf(port), "admin", WsmanClient.PASSWORD));
        cmd.addAll(List.of(steps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(label + ": " + script + " did not finish: " + out);
        }
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        if (p.exitValue() != 0) {
            String last = lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
            fail(label + ": " + script + " failed (exit " + p.exitValue() + ") at step " + lines.size() + " of "
                    + steps.length + ": " + last + "\nsteps: " + String.join(" ", steps) + "\nall output:\n" + out);
        }
        assertEquals(label + ": one line per step from " + script + ":\n" + out, steps.length, lines.size());
        return lines;
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}\\]]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + json);
        }
        return m.group(1).replaceAll("^\"|\"$", "");
    }

    /** The inside of a flat JSON object member {@code "name":{...}}. */
    static String object(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\\{([^{}]*)\\}").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no object " + name + " in " + json);
        }
        return m.group(1);
    }

    // ------------------------------------------------------------------ the demo VMs, one session each

    /**
     * A demo VM (features/src/main/cfg/vamt-demo-vms.xml) and what clients must see of it. Addresses go
     * by VM name: build-server .2, desktop-01 .3, desktop-02 .4, kiosk .5.
     */
    record Vm(String name, String host, String uuid, boolean runningAtStart, int chips, long memoryBytes,
              int disks, String biosVendor, String firstNicMac) {
        String label() {
            return "VM " + name + " (" + host + ")";
        }
    }

    static final Vm BUILD_SERVER = new Vm("build-server", "127.0.0.2", "6F8C1A52-4B1E-4D6A-9A01-000000000003", false,
            2, 8L << 30, 2, "SeaBIOS", "52-54-00-a0-00-03");
    static final Vm DESKTOP_01 = new Vm("desktop-01", "127.0.0.3", "6F8C1A52-4B1E-4D6A-9A01-000000000001", true,
            1, 4L << 30, 2, "EDK II", "52-54-00-a0-00-01");
    static final Vm DESKTOP_02 = new Vm("desktop-02", "127.0.0.4", "6F8C1A52-4B1E-4D6A-9A01-000000000002", true,
            1, 2L << 30, 1, "SeaBIOS", "52-54-00-a0-00-02");
    static final Vm KIOSK = new Vm("kiosk", "127.0.0.5", "6F8C1A52-4B1E-4D6A-9A01-000000000004", true,
            1, 1L << 30, 0, "SeaBIOS", "52-54-00-a0-00-04");

    /** A check of one step's JSON line. */
    interface Check {
        void verify(String line) throws Exception;
    }

    /**
     * The steps of one client run against one VM, each with its check. A failing check names the VM,
     * the client, the step number and name, and shows the step's line.
     */
    static final class Session {
        final Vm vm;
        final String script;
        final List<String> steps = new ArrayList<>();
        final List<Check> checks = new ArrayList<>();
        final List<String> bootDevices = new ArrayList<>();

        Session(Vm vm, String script) {
            this.vm = vm;
            this.script = script;
        }

        Session then(String step, Check check) {
            steps.add(step);
            checks.add(check);
            return this;
        }

        /** A step that starts the VM once from {@code device} (NETWORK, CDROM): checked in vAMT's log afterwards. */
        Session boots(String step, String device, Check check) {
            bootDevices.add(device);
            return then(step, check);
        }

        void run() throws Exception {
            long logStart = logLength();
            List<String> lines = runClient(vm.label(), script, vm.host(), steps.toArray(String[]::new));
            for (int i = 0; i < lines.size(); i++) {
                try {
                    checks.get(i).verify(lines.get(i));
                } catch (AssertionError e) {
                    throw new AssertionError(vm.label() + ", " + script + " step " + (i + 1) + " '" + steps.get(i)
                            + "': " + e.getMessage() + "\n  line: " + lines.get(i), e);
                }
            }
            assertOneTimeBoots(this, logStart);
        }
    }

    static void is(String what, Object expected, Object actual) {
        assertEquals(what, String.valueOf(expected), String.valueOf(actual));
    }

    static Check ok() {
        return line -> assertFalse("error", line.contains("\"error\""));
    }

    static Check powerState(int state) {
        return line -> is("PowerState", state, field(line, "PowerState"));
    }

    static Check returnValue(int rv) {
        return line -> is("ReturnValue", rv, field(line, "ReturnValue"));
    }

    /** A request chain (MeshCentral, MeshCommander, DMT boot) that went through to the power request. */
    static Check chainCompleted(int powerReturnValue) {
        return line -> {
            is("stoppedAt (the first request that failed)", "null", field(line, "stoppedAt"));
            is("ReturnValue of RequestPowerStateChange", powerReturnValue, field(line, "powerReturnValue"));
        };
    }

    /**
     * "Reset/power on to BIOS": vAMT advertises AMT_BootCapabilities.BIOSSetup false and refuses a
     * Put of BIOSSetup true (400 InvalidRepresentation); every client stops there, before the power request.
     */
    static Check refusedAtBiosSetup() {
        return line -> {
            is("stoppedAt", "Put AMT_BootSettingData", field(line, "stoppedAt"));
            is("stoppedStatus", 400, field(line, "stoppedStatus"));
            is("powerReturnValue", "null", field(line, "powerReturnValue"));
            assertFalse("no power request after the refusal", line.contains("RequestPowerStateChange"));
        };
    }

    /** The one-shot boot options read back as the defaults (nothing pending, or cleared by the last start). */
    static Check bootSettingsAtDefaults() {
        return line -> {
            String settings = object(line, "settings");
            for (String flag : List.of("BIOSSetup", "BIOSPause", "UseSOL", "UseIDER", "UseSafeMode")) {
                assertTrue(flag + " false in " + settings, settings.matches(".*\"" + flag + "\":\"?false\"?.*"));
            }
        };
    }

    /** The demo host's CPU clock (<node><cpu><mhz>); its SMBIOS (test driver) tells no maximum, bus clock or memory speed. */
    static final int HOST_MHZ = 2400;
    /** The demo network "default": 192.168.122.1/24, NAT, DHCP; the test driver leases 192.168.122.x by domain id. */
    static final String DEMO_GATEWAY = "192.168.122.1";

    /** CPU clocks and DIMM speeds as the client parsed them: the host's clock, AMT's 100 MHz bus, Speed 0 + MHz flag. */
    static Check clocksAndDimmSpeeds() {
        return line -> {
            is("CurrentClockSpeed", HOST_MHZ, field(line, "CurrentClockSpeed"));
            is("MaxClockSpeed", HOST_MHZ, field(line, "MaxClockSpeed"));
            is("ExternalBusClockSpeed", 100, field(line, "ExternalBusClockSpeed"));
            is("DIMM Speed", 0, field(line, "Speed"));
            is("DIMM MaxMemorySpeed (unknown on the test driver's host)", 0, field(line, "MaxMemorySpeed"));
            is("DIMM ConfiguredMemoryClockSpeed", 0, field(line, "ConfiguredMemoryClockSpeed"));
            is("IsSpeedInMhz", true, field(line, "IsSpeedInMhz"));
        };
    }

    /**
     * The lease: an address with the network's /24 mask, and the network's gateway when the address is
     * in it. The test driver derives a lease from the domain id, which grows with every start, so after
     * the power cycles of earlier sessions it can lie beyond 192.168.122.0/24 (192.168.123.x…): then
     * vAMT names no gateway, as it names none of a network the address is not in.
     */
    static void assertLease(String json, String address, String mask, String gateway) {
        String ip = field(json, address);
        assertTrue(address + " is an IPv4 address: " + json, ip.matches("192\\.168\\.\\d{1,3}\\.\\d{1,3}"));
        is(mask, "255.255.255.0", field(json, mask));
        is(gateway + " of " + ip, ip.startsWith("192.168.122.") ? DEMO_GATEWAY : "null", field(json, gateway));
    }

    /** Steps both clients run first on every VM. */
    static Check connected(Vm vm) {
        return line -> {
            is("realmMatch", true, field(line, "realmMatch"));
            is("DigestRealm", "Digest:" + vm.uuid().replace("-", ""), field(line, "DigestRealm"));
            is("HostName", vm.name(), field(line, "HostName"));
            is("CurrentControlMode", 2, field(line, "CurrentControlMode"));
            is("amtVersion (Server header)", "16.1.30.2307", field(line, "amtVersion"));
        };
    }

    /** MeshCentral (amtmanager.js and MeshCommander) against one VM; leaves its power state as found. */
    static Session meshCentral(Vm vm) {
        Session s = new Session(vm, "meshcentral-session.js")
                .then("connect", connected(vm))
                // attemptCleanCertsSync(): MeshCentral deletes every non-root certificate; vAMT must
                // refuse to delete the certificate its TLS listener uses, as real AMT does.
                .then("certs", line -> {
                    is("certificate enumeration", 200, field(line, "certificateStatus"));
                    is("key pair enumeration", 200, field(line, "keyPairStatus"));
                    is("cleanup", "attempted", field(line, "cleanup"));
                    assertTrue("no delete attempted: " + line, line.contains("\"deletes\":[{"));
                    assertFalse("a certificate delete succeeded: " + line, line.matches(".*\"status\":200}.*"));
                })
                .then("version", line -> is("version", "16.1.30", field(line, "version")))
                .then("power-state", powerState(vm.runningAtStart() ? 2 : 8))
                .then("inventory", line -> {
                    is("product_uuid", vm.uuid(), field(line, "uuid"));
                    is("System ID", vm.uuid(), field(line, "systemPackagingUuid"));
                    is("processor chips", vm.chips(), field(line, "cpus").split(",").length);
                    is("memory bytes", vm.memoryBytes(), field(line, "memoryBytes"));
                    is("disks", vm.disks(), line.split("\"caption\"").length - 1);
                    is("BIOS vendor", vm.biosVendor(), field(object(line, "bios"), "vendor"));
                    clocksAndDimmSpeeds().verify(line);
                    is("MeshCommander's maximum socket speed", HOST_MHZ + " MHz", field(line, "maxSocketSpeed"));
                })
                // MeshCentral keeps the last wired port with a MAC: it must be the VM's first NIC,
                // also on build-server whose second NIC is down.
                .then("network", line -> {
                    is("ports", 1, line.split("\"MACAddress\"").length - 1);
                    is("port MAC", vm.firstNicMac(), field(line, "MACAddress"));
                    is("LinkIsUp", true, field(line, "LinkIsUp"));
                    is("interface MeshCentral stores", vm.firstNicMac().replace('-', ':').toUpperCase(java.util.Locale.ROOT),
                            field(line, "mac"));
                    // the address, mask and gateway MeshCentral stores for the device: the running VM's
                    // DHCP lease on the demo network; none while the VM is off (AMT omits them)
                    String netif = line.substring(line.indexOf("\"netif2\""));
                    if (vm.runningAtStart()) {
                        assertLease(netif, "address", "netmask", "gateway");
                    } else {
                        assertFalse("no address while off: " + netif, netif.contains("\"address\""));
                    }
                })
                .then("os-power", line -> is("meshPowerState", vm.runningAtStart() ? 1 : -1, field(line, "meshPowerState")))
                .then("boot-settings", line -> {
                    bootSettingsAtDefaults().verify(line);
                    assertTrue(line, line.contains("\"sources\":[\"Intel(r) AMT: Force Hard-drive Boot\","
                            + "\"Intel(r) AMT: Force PXE Boot\",\"Intel(r) AMT: Force CD/DVD Boot\"]"));
                });
        if (vm.runningAtStart()) {
            s.then("mc-power:5", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("mc-power:10", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .boots("mc-power:16", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("boot-settings", bootSettingsAtDefaults())
                    .then("mc-power:12", refusedAtBiosSetup()).then("power-state", powerState(2))
                    .boots("mcmd-power:400", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .boots("mcmd-power:cd-reset", "CDROM", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("mcmd-power:101", refusedAtBiosSetup())
                    .then("mc-power:8", chainCompleted(0)).then("wait-power:8", powerState(8))
                    .then("mc-power:10", chainCompleted(2)).then("mc-power:5", chainCompleted(2))
                    .boots("mc-power:15", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("mc-power:8", chainCompleted(0)).then("wait-power:8", powerState(8))
                    .boots("mcmd-power:cd-on", "CDROM", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("boot-settings", bootSettingsAtDefaults());
        } else {
            s.then("mc-power:5", chainCompleted(2)).then("mc-power:10", chainCompleted(2))
                    .then("mc-power:2", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("mc-power:2", chainCompleted(2))
                    .then("mc-power:8", chainCompleted(0)).then("wait-power:8", powerState(8))
                    .boots("mc-power:15", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("boot-settings", bootSettingsAtDefaults())
                    .then("mc-power:8", chainCompleted(0)).then("wait-power:8", powerState(8))
                    .boots("mcmd-power:cd-on", "CDROM", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("mc-power:8", chainCompleted(0)).then("wait-power:8", powerState(8))
                    .then("mcmd-power:100", refusedAtBiosSetup()).then("mc-power:11", refusedAtBiosSetup())
                    .then("power-state", powerState(8));
        }
        return s;
    }

    /** Intel DMT (wsman-messages as its Go client sends them) against one VM; leaves its power state as found. */
    static Session dmt(Vm vm) {
        Session s = new Session(vm, "dmt-session.js")
                .then("connect", connected(vm))
                .then("version", line -> is("version", "16.1.30", field(line, "version")))
                .then("classes", ok())
                .then("invoke", ok())
                .then("inventory", line -> {
                    is("PlatformGUID (last 8 bytes in order)", vm.uuid().replace("-", "").substring(16),
                            field(line, "PlatformGUID").substring(16));
                    String counts = object(line, "counts");
                    is("CIM_Chip items", vm.chips(), field(counts, "CIM_Chip"));
                    is("CIM_MediaAccessDevice items", vm.disks(), field(counts, "CIM_MediaAccessDevice"));
                    is("AMT_EthernetPortSettings items", 1, field(counts, "AMT_EthernetPortSettings"));
                    // AMT pages CIM_PhysicalPackage class by class: the card, then the drives, each
                    // in its own Pull, which DMT posts again until the sequence ends.
                    is("CIM_PhysicalPackage items (base board and drives)", 1 + vm.disks(),
                            field(counts, "CIM_PhysicalPackage"));
                    is("CIM_PhysicalPackage Pulls", vm.disks() == 0 ? "1" : "2",
                            line.contains("\"pulls\"") ? field(object(line, "pulls"), "CIM_PhysicalPackage") : "1");
                    clocksAndDimmSpeeds().verify(line);
                    String port = object(line, "wiredPort");
                    if (vm.runningAtStart()) {
                        assertLease(port, "IPAddress", "SubnetMask", "DefaultGateway");
                        is("PrimaryDNS", field(port, "DefaultGateway"), field(port, "PrimaryDNS"));
                    } else {
                        is("IPAddress while off", "null", field(port, "IPAddress"));
                        is("SubnetMask while off", "null", field(port, "SubnetMask"));
                    }
                })
                .then("power-state", powerState(vm.runningAtStart() ? 2 : 8));
        if (vm.runningAtStart()) {
            s.boots("boot:400", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .boots("boot:cd-reset", "CDROM", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("boot:101", refusedAtBiosSetup())
                    .then("power:5", returnValue(0)).then("wait-power:2", powerState(2))
                    .then("power:10", returnValue(0)).then("wait-power:2", powerState(2))
                    .then("power:8", returnValue(0)).then("wait-power:8", powerState(8))
                    .then("power:8", returnValue(2))
                    .boots("boot:401", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("boot-settings", bootSettingsAtDefaults());
        } else {
            s.then("power:10", returnValue(2))
                    .then("power:2", returnValue(0)).then("wait-power:2", powerState(2))
                    .then("power:8", returnValue(0)).then("wait-power:8", powerState(8))
                    .boots("boot:401", "NETWORK", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("power:8", returnValue(0)).then("wait-power:8", powerState(8))
                    .boots("boot:cd-on", "CDROM", chainCompleted(0)).then("wait-power:2", powerState(2))
                    .then("power:8", returnValue(0)).then("wait-power:8", powerState(8))
                    .then("boot:100", refusedAtBiosSetup()).then("power-state", powerState(8))
                    .then("boot-settings", bootSettingsAtDefaults());
        }
        return s;
    }

    static Path karafLog() {
        return home.resolve("data/log/karaf.log");
    }

    static long logLength() throws IOException {
        return Files.exists(karafLog()) ? Files.size(karafLog()) : 0;
    }

    /**
     * No WS-Man class shows the pending one-time boot device (real AMT has none that MeshCentral,
     * MeshCommander or DMT read), so the hypervisor side is checked in vAMT's log: each boot step
     * started the VM once from its device, and the device was then cleared, in the order of the steps.
     */
    static void assertOneTimeBoots(Session s, long logStart) throws Exception {
        String vmTag = "'" + s.vm.name() + "' (" + s.vm.uuid().toLowerCase(java.util.Locale.ROOT) + ")";
        List<String> booted = List.of();
        List<String> cleared = List.of();
        long deadline = System.currentTimeMillis() + 5_000;   // the log is written asynchronously
        while (System.currentTimeMillis() < deadline) {
            String log;
            try (var in = Files.newInputStream(karafLog())) {
                in.skipNBytes(logStart);
                log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            booted = matches(log, Pattern.quote(vmTag) + ": started, booting from (\\w+) once");
            cleared = matches(log, Pattern.quote(vmTag) + ": one-time boot device (\\w+) cleared");
            if (booted.size() >= s.bootDevices.size() && cleared.size() >= s.bootDevices.size()) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(s.vm.label() + ", " + s.script + ": one-time boots in vAMT's log", s.bootDevices, booted);
        assertEquals(s.vm.label() + ", " + s.script + ": one-time boot devices cleared after the start",
                s.bootDevices, cleared);
    }

    static List<String> matches(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    @Test
    public void buildServerOffWithTwoDisksAndTwoNics() throws Exception {
        meshCentral(BUILD_SERVER).run();
        dmt(BUILD_SERVER).run();
    }

    @Test
    public void desktop01UefiWithDiskAndCdrom() throws Exception {
        meshCentral(DESKTOP_01).run();
        dmt(DESKTOP_01).run();
    }

    @Test
    public void desktop02SeaBiosWithOneDisk() throws Exception {
        meshCentral(DESKTOP_02).run();
        dmt(DESKTOP_02).run();
    }

    @Test
    public void kioskWithoutDisks() throws Exception {
        meshCentral(KIOSK).run();
        dmt(KIOSK).run();
    }

    @Test
    public void meshCentralTogglesAVcpuWithTheProcessorClass() throws Exception {
        // desktop-01: 2 of 4 vCPUs online.
        List<String> r = runClient(DESKTOP_01.label(), "meshcentral-session.js", DESKTOP_01.host(), "processors", "enable:2:true",
                "processors", "enable:2:false", "processors", "enable:0:false");
        assertTrue(r.get(0), r.get(0).contains("{\"Number\":2,\"EnabledState\":3}"));
        assertEquals("0", field(r.get(1), "ReturnValue"));
        assertTrue(r.get(2), r.get(2).contains("{\"Number\":2,\"EnabledState\":2}"));
        assertEquals("0", field(r.get(3), "ReturnValue"));
        assertTrue(r.get(4), r.get(4).contains("{\"Number\":2,\"EnabledState\":3}"));
        assertEquals("vCPU 0 is never switched off", "2", field(r.get(5), "ReturnValue"));
    }

    // ------------------------------------------------------------------ OpenStack Ironic's AMT driver

    /**
     * The requests of OpenStack Ironic's AMT driver (and of the {@code amt}/{@code amtctrl} tools
     * derived from it), as openwsman builds them: CIM_PowerManagementService and CIM_BootService
     * are named by their {@code Name} selector alone, which real AMT accepts because one instance
     * has it. Power off, a wrong Name (refused, nothing happens), a one-time PXE boot set up as
     * Ironic does (ChangeBootOrder, then SetBootConfigRole by Name), power on: the VM really goes
     * off, then starts once from the network. Leaves desktop-02 running, as it found it.
     */
    @Test
    public void ironicStyleRequestsWithOnlyTheNameSelectorDriveTheVm() throws Exception {
        Vm vm = DESKTOP_02;
        WsmanClient client = new WsmanClient(vm.host(), PORT);
        assertEquals("desktop-02 runs at the start", "2", powerState(client));
        long logStart = logLength();

        String off = client.post(ironic("CIM_PowerManagementService", "RequestPowerStateChange",
                "Name", "Intel(r) AMT Power Management Service", ironicPowerInput(8))).body();
        assertTrue("power off by Name alone: " + off, off.contains(":ReturnValue>0</"));
        awaitPowerState(client, "8");

        var wrong = client.post(ironic("CIM_PowerManagementService", "RequestPowerStateChange",
                "Name", "Intel(r) AMT Power Service", ironicPowerInput(2)));
        assertEquals("a Name no instance has: " + wrong.body(), 400, wrong.statusCode());
        assertTrue(wrong.body(), wrong.body().contains(":DestinationUnreachable</a:Value>"));
        assertEquals("the refused request changed nothing", "8", powerState(client));

        String order = client.post(ironic("CIM_BootConfigSetting", "ChangeBootOrder",
                "InstanceID", "Intel(r) AMT: Boot Configuration 0",
                "<p:ChangeBootOrder_INPUT xmlns:p=\"" + WsmanClient.CIM + "CIM_BootConfigSetting\">"
                        + "<p:Source>" + ironicEpr("CIM_BootSourceSetting", "InstanceID", "Intel(r) AMT: Force PXE Boot")
                        + "</p:Source></p:ChangeBootOrder_INPUT>")).body();
        assertTrue("ChangeBootOrder to PXE: " + order, order.contains(":ReturnValue>0</"));
        String role = client.post(ironic("CIM_BootService", "SetBootConfigRole", "Name", "Intel(r) AMT Boot Service",
                "<p:SetBootConfigRole_INPUT xmlns:p=\"" + WsmanClient.CIM + "CIM_BootService\">"
                        + "<p:BootConfigSetting>" + ironicEpr("CIM_BootConfigSetting", "InstanceID",
                        "Intel(r) AMT: Boot Configuration 0") + "</p:BootConfigSetting><p:Role>1</p:Role>"
                        + "</p:SetBootConfigRole_INPUT>")).body();
        assertTrue("SetBootConfigRole by Name alone: " + role, role.contains(":ReturnValue>0</"));

        String on = client.post(ironic("CIM_PowerManagementService", "RequestPowerStateChange",
                "Name", "Intel(r) AMT Power Management Service", ironicPowerInput(2))).body();
        assertTrue("power on by Name alone: " + on, on.contains(":ReturnValue>0</"));
        awaitPowerState(client, "2");
        Session booted = new Session(vm, "Ironic's AMT driver");
        booted.bootDevices.add("NETWORK");
        assertOneTimeBoots(booted, logStart);
    }

    private static int ironicMessage;

    /** An Invoke as openwsman (pywsman) sends it for Ironic: prefixed elements, one selector. */
    static String ironic(String cls, String method, String selector, String value, String body) {
        String uri = WsmanClient.CIM + cls;
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<wsa:Action s:mustUnderstand=\"true\">" + uri + "/" + method + "</wsa:Action>"
                + "<wsa:To s:mustUnderstand=\"true\">http://127.0.0.1:16992/wsman</wsa:To>"
                + "<wsman:ResourceURI s:mustUnderstand=\"true\">" + uri + "</wsman:ResourceURI>"
                + "<wsa:MessageID s:mustUnderstand=\"true\">uuid:00000000-0000-0000-0000-" + String.format("%012d", ++ironicMessage)
                + "</wsa:MessageID><wsa:ReplyTo><wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
                + "</wsa:Address></wsa:ReplyTo><wsman:SelectorSet><wsman:Selector Name=\"" + selector + "\">" + value
                + "</wsman:Selector></wsman:SelectorSet></s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    }

    static String ironicPowerInput(int state) {
        return "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + WsmanClient.CIM + "CIM_PowerManagementService\">"
                + "<p:PowerState>" + state + "</p:PowerState><p:ManagedElement>"
                + ironicEpr("CIM_ComputerSystem", "Name", "ManagedSystem") + "</p:ManagedElement>"
                + "</p:RequestPowerStateChange_INPUT>";
    }

    static String ironicEpr(String cls, String selector, String value) {
        return "<wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address>"
                + "<wsa:ReferenceParameters><wsman:ResourceURI>" + WsmanClient.CIM + cls + "</wsman:ResourceURI>"
                + "<wsman:SelectorSet><wsman:Selector Name=\"" + selector + "\">" + value + "</wsman:Selector>"
                + "</wsman:SelectorSet></wsa:ReferenceParameters>";
    }

    /** PowerState of CIM_AssociatedPowerManagementService, as Ironic's driver reads it. */
    static String powerState(WsmanClient client) throws Exception {
        String answer = client.post(client.get(WsmanClient.CIM + "CIM_AssociatedPowerManagementService", null)).body();
        Matcher m = Pattern.compile(":PowerState>(\\d+)</").matcher(answer);
        assertTrue(answer, m.find());
        return m.group(1);
    }

    static void awaitPowerState(WsmanClient client, String state) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        String last = powerState(client);
        while (!state.equals(last) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            last = powerState(client);
        }
        assertEquals("PowerState", state, last);
    }

    @Test
    public void curlDigestGetsTheVersion() throws Exception {
        String envelope = new WsmanClient("127.0.0.2", PORT).get(WsmanClient.CIM + "CIM_SoftwareIdentity",
                "<w:Selector Name=\"InstanceID\">AMT</w:Selector>");
        Process p = new ProcessBuilder("curl", "-s", "--digest", "-u", "admin:" + WsmanClient.PASSWORD,
                "-H", "Content-Type: application/soap+xml;charset=UTF-8", "--data-binary", envelope,
                "http://127.0.0.2:" + PORT + "/wsman").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(out, out.contains("<g:InstanceID>AMT</g:InstanceID>"));
        assertTrue(out, out.contains("<g:VersionString>16.1.30</g:VersionString>"));
    }

    private static void setProperty(String file, String key, String value) throws IOException {
        DistributionFiles.setProperty(home, file, key, value);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("timed out: " + String.join(" ", command), p.waitFor(30, TimeUnit.SECONDS));
        return "exit " + p.exitValue() + "\n" + out;
    }

    /** curl over TLS 1.3, and over TLS 1.2 with the static-RSA suite MeshCentral's cipher list leaves. */
    @Test
    public void curlGetsTheVersionOverTls() throws Exception {
        String envelope = new WsmanClient("127.0.0.3", PORT).get(WsmanClient.CIM + "CIM_SoftwareIdentity",
                "<w:Selector Name=\"InstanceID\">AMT</w:Selector>");
        String url = "https://127.0.0.3:" + (PORT + 1) + "/wsman";
        for (String[] tls : new String[][] {{"--tlsv1.3"}, {"--tlsv1.2", "--tls-max", "1.2", "--ciphers", "AES256-GCM-SHA384"}}) {
            List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-k", "--digest", "-u", "admin:" + WsmanClient.PASSWORD,
                    "-H", "Content-Type: application/soap+xml;charset=UTF-8", "--data-binary", envelope));
            cmd.addAll(List.of(tls));
            cmd.add(url);
            String out = run(cmd.toArray(new String[0]));
            assertTrue(String.join(" ", tls) + ": " + out, out.startsWith("exit 0")
                    && out.contains("<g:VersionString>16.1.30</g:VersionString>"));
        }
    }

    /** Node's TLS with MeshCentral's exact options (amt-wsman-comm.js): static RSA over TLS 1.2, no validation. */
    @Test
    public void meshCentralTlsOptionsConnect() throws Exception {
        String script = "const tls=require('tls');const s=tls.connect({host:'127.0.0.3',port:" + (PORT + 1)
                + ",ciphers:'RSA+AES:!aNULL:!MD5:!DSS',minVersion:'TLSv1',maxVersion:'TLSv1.2',"
                + "rejectUnauthorized:false},()=>{const c=s.getCipher();s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n"
                + "Connection: close\\r\\n\\r\\n');let d='';s.on('data',x=>d+=x);s.on('end',()=>{"
                + "console.log(c.name+' '+c.version);console.log(d.split('\\r\\n').filter(l=>/^(HTTP|Server)/i.test(l))"
                + ".join('|'));});});s.on('error',e=>{console.log('error '+e.message);process.exit(1);});";
        String out = run("node", "-e", script);
        assertTrue(out, out.startsWith("exit 0"));
        assertTrue(out, out.contains("AES") && out.contains("TLSv1.2"));
        assertTrue(out, out.contains("HTTP/1.1 401") && out.contains("Intel(R) Active Management Technology 16.1.30"));
    }
}
