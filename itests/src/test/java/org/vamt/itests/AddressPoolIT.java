package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.vamt.endpoints.Endpoints;

/**
 * Issue 18, item 3: with an address pool vAMT puts each VM's endpoint address on the host's
 * interface itself. The "LAN" is a network namespace this test creates, joined to the host (where
 * vAMT runs) by a veth pair: {@code vamtpool0} (198.18.99.1/24, RFC 2544 benchmark space) on the
 * host, {@code lan0} in the namespace with a client (198.18.99.2) and another host that already
 * uses the pool's first address (198.18.99.50). No packet leaves what the test creates.
 *
 * <p>Checked: the demo VMs take 198.18.99.51-54 in name order, 198.18.99.50 skipped after the ARP
 * probe; the addresses are on vamtpool0 and announced (the LAN's neighbour table learns them from
 * the gratuitous ARP before any request); a real HTTP request from inside the LAN reaches each VM's
 * endpoint (its Digest realm); a VM defined later takes the last free address, the next one finds
 * the pool exhausted (no endpoint, listed by vamt:address-pool) until the first is undefined and
 * gives its address back; the address service restarted after a "crash" (an orphan address recorded and on the
 * interface) keeps every VM's address and takes the orphan off. Needs root (ip netns, veth,
 * CAP_NET_ADMIN/CAP_NET_RAW) and arping (iputils-arping): without them it fails, saying so.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AddressPoolIT {
    static final int PORT = 58992;
    static final String NETNS = "vamt-pool-lan";
    static final String HOST_END = "vamtpool0";
    static final String LAN_END = "lan0";
    static final String OTHER_HOST = "198.18.99.50";
    static final String POOL = "198.18.99.50-198.18.99.55";
    static final String ECHO = "0be5a1e0-0000-4000-8000-0000000000f1";
    static final String LATE = "0be5a1e0-0000-4000-8000-0000000000f2";
    /** The demo VMs in name order, with the address each must get: the pool's first is the other host's. */
    static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("build-server", "198.18.99.51");
        EXPECTED.put("desktop-01", "198.18.99.52");
        EXPECTED.put("desktop-02", "198.18.99.53");
        EXPECTED.put("kiosk", "198.18.99.54");
    }

    @Inject
    BundleContext context;

    @Inject
    SessionFactory sessionFactory;

    @Inject
    Endpoints endpoints;

    /** Runs before the container starts: the LAN must exist when vAMT first claims addresses. */
    @Configuration
    public Option[] config() throws Exception {
        createLan();
        return OptionUtils.combine(KarafContainer.options("addresspool", PORT, "58181", "58101", "58099", "58444"),
                editConfigurationFilePut("etc/org.vamt.wsman.cfg", "addressPool", POOL),
                editConfigurationFilePut("etc/org.vamt.wsman.cfg", "poolInterface", HOST_END));
    }

    static void createLan() throws Exception {
        String uid = sh(false, "id", "-u").trim();
        if (!"0".equals(uid)) {
            fail("AddressPoolIT needs root (ip netns, a veth pair, CAP_NET_ADMIN and CAP_NET_RAW for vAMT); "
                    + "run the integration tests as root, as ./vamt test does");
        }
        for (String tool : List.of("/usr/bin/arping", "/usr/sbin/ip")) {
            if (!Files.isExecutable(Paths.get(tool))) {
                fail("AddressPoolIT needs " + tool + " (Debian packages iputils-arping, iproute2; ./vamt test installs them)");
            }
        }
        removeLan();
        sh(true, "ip", "netns", "add", NETNS);
        sh(true, "ip", "link", "add", HOST_END, "type", "veth", "peer", "name", LAN_END, "netns", NETNS);
        sh(true, "ip", "addr", "add", "198.18.99.1/24", "dev", HOST_END);
        sh(true, "ip", "link", "set", HOST_END, "up");
        lan(true, "ip", "link", "set", "lo", "up");
        lan(true, "ip", "addr", "add", "198.18.99.2/24", "dev", LAN_END);
        lan(true, "ip", "addr", "add", OTHER_HOST + "/24", "dev", LAN_END);
        // learn neighbours from gratuitous ARP, so the announcement is visible in the LAN's table
        lan(true, "sysctl", "-q", "-w", "net.ipv4.conf." + LAN_END + ".arp_accept=1");
        lan(true, "ip", "link", "set", LAN_END, "up");
    }

    @AfterClass
    public static void removeLan() throws Exception {
        sh(false, "ip", "netns", "del", NETNS);
        sh(false, "ip", "link", "del", HOST_END);
    }

    @Test
    public void vamtTakesPoolAddressesSkipsTheUsedOneServesTheLanAndLeavesNoOrphans() throws Exception {
        long start = System.nanoTime();
        await("the demo VMs at their pool addresses", 90_000, () -> EXPECTED.equals(addresses()));
        System.out.printf("AddressPoolIT: four VMs on pool addresses after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        assertEquals("the other host's address is never taken", List.of("198.18.99.51", "198.18.99.52",
                "198.18.99.53", "198.18.99.54"), onHostEnd());

        // announced: the LAN learnt every address from the gratuitous ARP, before anything asked for it
        String mac = sh(true, "cat", "/sys/class/net/" + HOST_END + "/address").trim();
        for (String address : EXPECTED.values()) {
            await(address + " in the LAN's neighbour table with vamtpool0's MAC " + mac, 10_000,
                    () -> lanQuiet("ip", "neigh", "show", address).contains("lladdr " + mac));
        }

        // a real request from the LAN reaches the right VM: its Digest realm
        Map<String, String> uuids = new TreeMap<>();
        endpoints.endpoints().forEach(e -> uuids.put(e.name(), e.uuid()));
        for (Map.Entry<String, String> vm : EXPECTED.entrySet()) {
            String realm = "Digest:" + uuids.get(vm.getKey()).replace("-", "").toUpperCase(Locale.ROOT);
            String answer = lan(true, "curl", "-s", "-i", "-m", "10", "-X", "POST", "-H",
                    "Content-Type: application/soap+xml;charset=UTF-8", "--data-binary", WsmanClient.envelope(
                            "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
                            "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings", ""),
                    "http://" + vm.getValue() + ":" + PORT + "/wsman");
            assertTrue(vm.getKey() + " answers at " + vm.getValue() + " from the LAN: " + answer,
                    answer.startsWith("HTTP/1.1 401") && answer.contains("Digest realm=\"" + realm + "\""));
        }

        String pool = shell("vamt:address-pool");
        assertTrue(pool, pool.contains("Address pool " + POOL + " on " + HOST_END
                + ": 6 addresses, 4 held by VMs, 1 in use by other hosts, 1 free"));
        assertTrue(pool, pool.contains("added by vAMT") && pool.contains("skipped"));

        // a VM defined later takes the last free address; the next one finds the pool exhausted and waits
        TestDriverDomains.define(context, ECHO, TestDriverDomains.xml(ECHO, "pool-echo"));
        await("pool-echo at 198.18.99.55", 30_000, () -> "198.18.99.55".equals(addresses().get("pool-echo")));
        assertTrue(onHostEnd().contains("198.18.99.55"));
        String echo = lan(true, "curl", "-s", "-i", "-m", "10", "http://198.18.99.55:" + PORT + "/wsman",
                "-X", "POST", "--data-binary", WsmanClient.identify());
        assertTrue("pool-echo answers Identify from the LAN: " + echo, echo.startsWith("HTTP/1.1 200"));
        TestDriverDomains.define(context, LATE, TestDriverDomains.xml(LATE, "pool-late"));
        await("pool-late listed without an endpoint", 30_000, () -> quietShell("vamt:address-pool")
                .contains("VMs without an endpoint (no address of the pool could be taken; see the log): pool-late"));
        assertFalse(addresses().containsKey("pool-late"));
        String vms = shell("vamt:vm-list");
        assertTrue("vm-list shows no endpoint for pool-late: " + vms, vms.matches("(?s).*pool-late[^\\n]*[│|]\\s*-\\s*[│|].*"));

        // undefined, a VM's address leaves the interface, and the waiting VM gets it
        TestDriverDomains.undefine(context, ECHO);
        await("pool-late at the address pool-echo gave back", 30_000,
                () -> "198.18.99.55".equals(addresses().get("pool-late")) && !addresses().containsKey("pool-echo"));
        TestDriverDomains.undefine(context, LATE);
        await("198.18.99.55 off the interface", 30_000, () -> !onHostEnd().contains("198.18.99.55"));
        assertFalse(addresses().containsKey("pool-late"));

        // the address service stops (its addresses leave), a crashed run's orphan appears (a pool address
        // recorded and on the interface that no VM holds), it starts again
        Bundle service = Arrays.stream(context.getBundles())
                .filter(b -> "vamt-address-pool".equals(b.getSymbolicName())).findFirst().orElseThrow();
        service.stop();
        assertEquals("a stop takes off every address vAMT added", List.of(), onHostEnd());
        Path record = Paths.get(System.getProperty("karaf.etc"), "vamt-address-pool.held");
        sh(true, "ip", "addr", "add", "198.18.99.55/24", "dev", HOST_END);
        Files.writeString(record, "198.18.99.55 " + HOST_END + " 24\n", StandardCharsets.UTF_8);
        service.start();
        await("every VM back at its address, the orphan gone", 60_000,
                () -> EXPECTED.equals(addresses()) && onHostEnd().equals(List.of("198.18.99.51", "198.18.99.52",
                        "198.18.99.53", "198.18.99.54")));
        // the record is rewritten (fsync'd) a moment after the interface changes: wait for it too
        await("the record holds every VM's address and not the orphan's", 30_000, () -> {
            String held;
            try {
                held = Files.readString(record);
            } catch (java.io.IOException beingReplaced) {
                return false;
            }
            return EXPECTED.values().stream().allMatch(a -> held.contains(a + " " + HOST_END + " 24"))
                    && !held.contains("198.18.99.55");
        });
        String again = lan(true, "curl", "-s", "-i", "-m", "10", "http://198.18.99.54:" + PORT + "/wsman",
                "-X", "POST", "--data-binary", WsmanClient.identify());
        assertTrue("kiosk answers again: " + again, again.startsWith("HTTP/1.1 200"));
    }

    // ------------------------------------------------------------------ helpers

    /** VM name → endpoint address. */
    private Map<String, String> addresses() {
        Map<String, String> m = new LinkedHashMap<>();
        endpoints.endpoints().forEach(e -> m.put(e.name(), e.address()));
        return m;
    }

    /** The pool addresses on the host's end of the veth, in order. */
    private static List<String> onHostEnd() {
        List<String> list = new ArrayList<>();
        for (String line : quiet("ip", "-4", "-o", "addr", "show", "dev", HOST_END).split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet") && !f[i + 1].startsWith("198.18.99.1/")) {
                    list.add(f[i + 1].substring(0, f[i + 1].indexOf('/')));
                }
            }
        }
        list.sort(java.util.Comparator.comparingInt(a -> Integer.parseInt(a.substring(a.lastIndexOf('.') + 1))));
        return list;
    }

    private String shell(String command) throws Exception {
        return KarafShell.execute(sessionFactory, command);
    }

    private String quietShell(String command) {
        try {
            return shell(command);
        } catch (Exception e) {
            return "";
        }
    }

    private static void await(String what, long millis, BooleanSupplier condition) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail(what + " within " + millis + " ms; on " + HOST_END + ": " + onHostEnd());
            }
            Thread.sleep(100);
        }
    }

    /** A command in the LAN namespace. */
    private static String lan(boolean check, String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NETNS));
        c.addAll(List.of(command));
        return sh(check, c.toArray(String[]::new));
    }

    private static String lanQuiet(String... command) {
        try {
            return lan(false, command);
        } catch (Exception e) {
            return "";
        }
    }

    private static String quiet(String... command) {
        try {
            return sh(false, command);
        } catch (Exception e) {
            return "";
        }
    }

    /** Runs a command; with {@code check}, a non-zero exit fails the test with its output. */
    static String sh(boolean check, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish");
        }
        if (check && p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + out);
        }
        return out;
    }
}
