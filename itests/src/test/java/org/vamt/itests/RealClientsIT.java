package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
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
 * .4 (desktop-02), .5 (kiosk).
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
        deleteTree(home.resolve("data"));
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

    /** Runs one client script; returns its JSON lines, failing the test on a non-zero exit. */
    static List<String> runClient(String script, String host, String... steps) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", node.resolve(script).toString(), host,
                String.valueOf(PORT), "admin", WsmanClient.PASSWORD));
        cmd.addAll(List.of(steps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(script + " did not finish: " + out);
        }
        assertEquals(script + " " + String.join(" ", steps) + " said:\n" + out, 0, p.exitValue());
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(out, steps.length, lines.size());
        return lines;
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}\\]]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + json);
        }
        return m.group(1).replaceAll("^\"|\"$", "");
    }

    @Test
    public void meshCentralAcceptsTheVmReadsTheVersionAndPowersItOffAndOn() throws Exception {
        List<String> r = runClient("meshcentral-session.js", "127.0.0.3", "connect", "version", "power-state",
                "power:8", "wait-power:8", "power:2", "wait-power:2");
        assertEquals("true", field(r.get(0), "realmMatch"));
        assertEquals("16.1.30.2307", field(r.get(0), "amtVersion"));
        assertEquals("2", field(r.get(0), "CurrentControlMode"));
        assertEquals("16.1.30", field(r.get(1), "version"));
        assertEquals("2", field(r.get(2), "PowerState"));
        assertEquals("0", field(r.get(3), "ReturnValue"));
        assertEquals("8", field(r.get(4), "PowerState"));
        assertEquals("0", field(r.get(5), "ReturnValue"));
        assertEquals("2", field(r.get(6), "PowerState"));
    }

    @Test
    public void meshCentralTogglesAVcpuWithTheProcessorClass() throws Exception {
        // desktop-01: 2 of 4 vCPUs online.
        List<String> r = runClient("meshcentral-session.js", "127.0.0.3", "processors", "enable:2:true",
                "processors", "enable:2:false", "processors", "enable:0:false");
        assertTrue(r.get(0), r.get(0).contains("{\"Number\":2,\"EnabledState\":3}"));
        assertEquals("0", field(r.get(1), "ReturnValue"));
        assertTrue(r.get(2), r.get(2).contains("{\"Number\":2,\"EnabledState\":2}"));
        assertEquals("0", field(r.get(3), "ReturnValue"));
        assertTrue(r.get(4), r.get(4).contains("{\"Number\":2,\"EnabledState\":3}"));
        assertEquals("vCPU 0 is never switched off", "2", field(r.get(5), "ReturnValue"));
    }

    @Test
    public void intelToolkitMessagesReadAndPower() throws Exception {
        List<String> r = runClient("dmt-session.js", "127.0.0.4", "connect", "version", "power-state", "power:8",
                "wait-power:8", "power:8", "power:2", "wait-power:2");
        assertEquals("true", field(r.get(0), "realmMatch"));
        assertEquals("16.1.30", field(r.get(1), "version"));
        assertEquals("2", field(r.get(2), "PowerState"));
        assertEquals("0", field(r.get(3), "ReturnValue"));
        assertEquals("8", field(r.get(4), "PowerState"));
        assertEquals("off while off is NOT_READY, as on real AMT", "2", field(r.get(5), "ReturnValue"));
        assertEquals("0", field(r.get(6), "ReturnValue"));
        assertEquals("2", field(r.get(7), "PowerState"));
    }

    /** MeshCentral's own inventory, network and OS-power handlers accept every demo VM. */
    @Test
    public void meshCentralReadsTheInventoryOfEveryDemoVm() throws Exception {
        String[][] vms = {{"127.0.0.2", "6F8C1A52-4B1E-4D6A-9A01-000000000003", "2"},
                          {"127.0.0.3", "6F8C1A52-4B1E-4D6A-9A01-000000000001", "1"},
                          {"127.0.0.4", "6F8C1A52-4B1E-4D6A-9A01-000000000002", "1"},
                          {"127.0.0.5", "6F8C1A52-4B1E-4D6A-9A01-000000000004", "1"}};
        for (String[] vm : vms) {
            List<String> r = runClient("meshcentral-session.js", vm[0], "connect", "inventory", "network", "os-power");
            assertEquals(r.get(1), vm[1].replace("-", ""),
                    field(r.get(1), "uuid").replace("-", "").toUpperCase(java.util.Locale.ROOT));
            assertEquals(r.get(1), Integer.parseInt(vm[2]), field(r.get(1), "cpus").split(",").length);
            assertTrue(r.get(2), r.get(2).contains("\"MACAddress\""));
            List<String> d = runClient("dmt-session.js", vm[0], "connect", "inventory");
            assertEquals(d.get(1), vm[1].replace("-", "").substring(16), field(d.get(1), "PlatformGUID").substring(16));
        }
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
        Path f = home.resolve(file);
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.removeIf(l -> l.matches("\\s*" + Pattern.quote(key) + "\\s*=.*"));
        lines.add(key + " = " + value);
        Files.write(f, lines);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
