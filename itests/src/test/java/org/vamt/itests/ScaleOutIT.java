package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Test;

/**
 * Scale-out on loopback, as an operator would run it: three copies of the distribution, each a
 * real {@code bin/karaf server}. One gateway ({@code vamt-gateway} + the embedded ZooKeeper of
 * {@code vamt-zookeeper-server}) and two nodes ({@code vamt-node}), each node with its own
 * libvirt test-driver VMs: both nodes have a {@code desktop-01} (different UUIDs). The gateway
 * serves all eight VMs, to the test's Digest client and to MeshCentral's AMT stack. Node B is
 * killed with {@code kill -9}: its VMs fault within 5 s and no request hangs, node A's keep
 * answering; node B starts again: its VMs answer again at the same addresses. Finally one
 * all-in-one copy serves node A's VMs locally, for the remote-versus-local request overhead.
 * The node-gateway link is HTTPS with mutual TLS: every copy gets a certificate of the test's site
 * CA in etc/ (the link's file contract); a third node with a certificate of another CA is never
 * served, and the link port answers no plaintext.
 */
public class ScaleOutIT {
    static final int WSMAN = 52992;
    static final int ZOOKEEPER = 52181;
    static final String FIRST_ADDRESS = "127.0.52.1";
    static final String CIM = WsmanClient.CIM;
    static final String COMPUTER_SYSTEM = CIM + "CIM_ComputerSystem";

    /** One Karaf: its directory, its Karaf ports, the process once started. */
    static final class Instance {
        final String name;
        final Path home;
        int wsmanPort = WSMAN;
        Process process;

        Instance(String name, Path home) {
            this.name = name;
            this.home = home;
        }
    }

    final List<Instance> started = new ArrayList<>();
    LinkCertificates site;

    @After
    public void killWhatIsLeft() throws Exception {
        for (Instance i : started) {
            if (i.process != null && i.process.isAlive()) {
                RestartIT.killTree(i.process);
            }
        }
    }

    @Test
    public void gatewayServesEveryNodeAndOnlyTheDeadNodesVmsFault() throws Exception {
        long testStart = System.nanoTime();
        Path root = Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e")).resolveSibling("scale-out");
        DistributionFiles.deleteTree(root);
        site = new LinkCertificates(root.resolve("site-ca"), "ScaleOutIT site CA");
        Instance gateway = gateway(copy(root, "gateway"));
        Instance nodeA = node(copy(root, "node-a"), "node-a", "a", "127.0.52.101", 52901, 52110);
        Instance nodeB = node(copy(root, "node-b"), "node-b", "b", "127.0.52.102", 52902, 52120);
        Instance secondGateway = secondGateway(copy(root, "gateway-2"));

        long bootStart = System.nanoTime();
        start(gateway);
        start(nodeA);
        start(nodeB);
        start(secondGateway);
        Map<String, String> endpoints = untilEndpoints(gateway, 8, 360_000);
        System.out.printf("ScaleOutIT: gateway + 2 nodes started, 8 VMs served after %d ms%n",
                millisSince(bootStart));

        // ---- every VM of both nodes at its own address, each answering for itself
        Map<String, String> nodeAVms = vmsOf(endpoints, "a");
        Map<String, String> nodeBVms = vmsOf(endpoints, "b");
        assertEquals("node A's VMs: " + endpoints, 4, nodeAVms.size());
        assertEquals("node B's VMs: " + endpoints, 4, nodeBVms.size());
        String desktopA = endpoints.get(uuid("a", 1));
        String desktopB = endpoints.get(uuid("b", 1));
        assertNotEquals("the two desktop-01s have their own endpoints", desktopA, desktopB);
        for (Map.Entry<String, String> vm : endpoints.entrySet()) {
            assertServes(vm.getValue(), vm.getKey());
        }
        HttpResponse<String> desktopOnB = untilAnswered(new WsmanClient(desktopB, WSMAN), get(COMPUTER_SYSTEM));
        assertEquals(desktopOnB.body(), 200, desktopOnB.statusCode());
        assertTrue("desktop-01 of node B: " + desktopOnB.body(), desktopOnB.body().contains("desktop-01"));

        // ---- a second gateway side by side serves the same VMs (its own addresses)
        Map<String, String> endpoints2 = untilEndpoints(secondGateway, 8, 240_000);
        assertEquals("the second gateway serves the same VMs", endpoints.keySet(), endpoints2.keySet());

        // ---- the shell: both nodes connected, with their VMs
        // each node's changes are pushed (its journal followed), not polled
        String nodeList = untilShell(gateway, "vamt:node-list",
                "(?s)(?=.*node-a\\s*\\|\\s*connected\\s*\\|\\s*pushed)(?=.*node-b\\s*\\|\\s*connected\\s*\\|\\s*pushed).*", 30_000);
        assertTrue(nodeList, nodeList.matches("(?s).*node-a\\s*\\|\\s*connected\\s*\\|\\s*pushed.*")
                && nodeList.matches("(?s).*node-b\\s*\\|\\s*connected\\s*\\|\\s*pushed.*"));
        assertTrue(nodeList, nodeList.contains("desktop-01 (running)"));
        assertTrue(shell(gateway, "vamt:provider-list").contains("Hypervisor: remote"));
        String vmList = shell(gateway, "vamt:vm-list");
        for (String node : List.of("node-a", "node-b")) {
            assertTrue("desktop-01 of " + node + ": " + vmList, java.util.regex.Pattern.compile(
                    "(?m)^\\s*desktop-01 [^\\n]*\\|\\s*" + node + "\\s*$").matcher(vmList).find());
        }

        // ---- the link is TLS: a plain client gets no plaintext answer from a node's link port
        assertNoPlaintextAnswer("127.0.52.101", 52901);

        // ---- roles: node B's own certificate (a node's: serverAuth) is refused by node A as a client, a gateway's served
        String asGateway = linkAnswer(gateway.home, "127.0.52.101", 52901);
        assertTrue("node A answers a gateway's certificate: " + asGateway, asGateway.startsWith("HTTP/1.1 "));
        String asNode = linkAnswer(nodeB.home, "127.0.52.101", 52901);
        assertTrue("node A refuses node B's certificate as a client: " + asNode, asNode.startsWith("refused: "));
        System.out.println("ScaleOutIT: node B's certificate calling node A: " + asNode);

        // ---- a node whose certificate is from another CA is announced, but never served
        Instance stranger = node(copy(root, "node-c"), "node-c", "c", "127.0.52.103", 52904, 52150);
        new LinkCertificates(root.resolve("other-ca"), "another site's CA").issue(stranger.home, "node-c",
                LinkCertificates.Role.NODE, "127.0.52.103");
        start(stranger);
        String refused = untilShell(gateway, "vamt:node-list", "(?s).*node-c\\s*\\|\\s*unreachable[^\\n]*cannot be reached.*",
                240_000);
        assertTrue("node C's VMs are not served: " + endpointMap(gateway), vmsOf(endpointMap(gateway), "c").isEmpty());
        assertEquals("the others still are", endpoints, endpointMap(gateway));
        System.out.println("ScaleOutIT: a node of another CA is refused: " + refused.lines()
                .filter(l -> l.startsWith("node-c")).findFirst().orElse(""));
        kill(stranger);

        // ---- the operator dashboard on the gateway's HTTP service: every VM with the node it runs on
        DashboardClient dashboard = new DashboardClient("http://127.0.0.1:52180/vamt/");
        String page = dashboard.get(dashboard.login("karaf", "karaf")).body();
        assertTrue(page, page.contains("<th>Node</th>"));
        for (String vm : endpoints.keySet()) {
            String node = nodeAVms.containsKey(vm) ? "node-a" : "node-b";
            assertTrue(vm + " on " + node + ": " + page, java.util.regex.Pattern.compile("<tr id=\"vm-" + vm
                    + "\"(?:(?!</tr>).)*<td data-label=\"Node\">" + node + "</td>").matcher(page).find());
        }

        // ---- a real AMT client (MeshCentral's stack) on one VM of each node
        for (String address : List.of(desktopA, desktopB)) {
            List<String> lines = runMeshCentral(address, "connect", "version", "power-state", "inventory", "network");
            assertEquals(lines.toString(), 5, lines.size());
            // the running VM's DHCP lease, read on its node and stored by MeshCentral as the device's address
            assertTrue(lines.get(4), lines.get(4).matches(".*\"address\":\"192\\.168\\.\\d+\\.\\d+\",\"netmask\":\"255\\.255\\.255\\.0\".*"));
        }

        // ---- remote per-request cost, measured on the gateway
        long remoteP50 = p50Micros(new WsmanClient(desktopA, WSMAN), 300);
        System.out.printf("ScaleOutIT: Get CIM_ComputerSystem p50 through the gateway (remote node): %d us%n", remoteP50);

        // ---- node B dies: its VMs fault within 5 s, none hangs, node A's answer
        kill(nodeB);
        long killedAt = System.nanoTime();
        Map<String, Long> faultAfter = new TreeMap<>();
        long slowest = 0;
        while (faultAfter.size() < nodeBVms.size()) {
            for (Map.Entry<String, String> vm : nodeBVms.entrySet()) {
                if (faultAfter.containsKey(vm.getKey())) {
                    continue;
                }
                long t0 = System.nanoTime();
                HttpResponse<String> r = new WsmanClient(vm.getValue(), WSMAN).post(get(COMPUTER_SYSTEM));
                slowest = Math.max(slowest, millisSince(t0));
                if (r.statusCode() != 200) {
                    assertTrue("a dead node's VM answers with a WS-Man fault: " + r.body(),
                            r.body().contains("Fault") && r.body().contains("EndpointUnavailable"));
                    faultAfter.put(vm.getKey(), millisSince(killedAt));
                }
            }
            assertTrue("node B's VMs fault within 5 s of the kill: " + faultAfter, millisSince(killedAt) < 5_000);
            Thread.sleep(20);
        }
        System.out.printf("ScaleOutIT: node B killed -> its VMs faulted after %s ms (slowest single request %d ms)%n",
                faultAfter.values(), slowest);
        assertTrue("no request to a dead node's VM took 5 s or more: " + slowest + " ms", slowest < 5_000);
        for (String address : nodeAVms.values()) {
            HttpResponse<String> r = new WsmanClient(address, WSMAN).post(get(COMPUTER_SYSTEM));
            assertEquals("node A's VM at " + address + " still answers: " + r.body(), 200, r.statusCode());
        }
        // ZooKeeper expires node B's session a few seconds later: still a fault, still fast
        Thread.sleep(8_000);
        for (String address : nodeBVms.values()) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = new WsmanClient(address, WSMAN).post(get(COMPUTER_SYSTEM));
            assertTrue("after node B left discovery, " + address + " faults: " + r.body(),
                    r.statusCode() != 200 && r.body().contains("EndpointUnavailable"));
            assertTrue("and fast: " + millisSince(t0) + " ms", millisSince(t0) < 5_000);
        }
        assertEquals("endpoints are kept while node B is away", endpoints, endpointMap(gateway));

        // ---- node B returns: its VMs answer again at their old addresses
        long restartAt = System.nanoTime();
        start(nodeB);
        Map<String, Long> backAfter = new TreeMap<>();
        long deadline = System.currentTimeMillis() + 300_000;
        while (backAfter.size() < nodeBVms.size() && System.currentTimeMillis() < deadline) {
            for (Map.Entry<String, String> vm : nodeBVms.entrySet()) {
                if (!backAfter.containsKey(vm.getKey())
                        && new WsmanClient(vm.getValue(), WSMAN).post(get(COMPUTER_SYSTEM)).statusCode() == 200) {
                    backAfter.put(vm.getKey(), millisSince(restartAt));
                }
            }
            Thread.sleep(100);
        }
        System.out.printf("ScaleOutIT: node B restarted -> its VMs answered again after %s ms%n", backAfter.values());
        assertEquals("node B's VMs answer again: " + backAfter, nodeBVms.size(), backAfter.size());
        assertEquals("at the same endpoints", endpoints, endpointMap(gateway));
        for (String uuid : nodeBVms.keySet()) {
            HttpResponse<String> r = untilAnswered(new WsmanClient(endpoints2.get(uuid), secondGateway.wsmanPort),
                    get(COMPUTER_SYSTEM));
            assertEquals("node B's VM " + uuid + " on the second gateway: " + r.body(), 200, r.statusCode());
        }
        for (Map.Entry<String, String> vm : nodeBVms.entrySet()) {
            assertServes(vm.getValue(), vm.getKey());
        }

        // ---- the same request served all-in-one (local hypervisor), for the overhead
        for (Instance i : List.of(gateway, secondGateway, nodeA, nodeB)) {
            kill(i);
        }
        Instance local = allInOne(copy(root, "all-in-one"));
        start(local);
        Map<String, String> localEndpoints = untilEndpoints(local, 4, 300_000);
        long localP50 = p50Micros(new WsmanClient(localEndpoints.get(uuid("a", 1)), WSMAN), 300);

        System.out.printf("ScaleOutIT: Get CIM_ComputerSystem p50: remote node %d us, all-in-one %d us, "
                + "overhead %d us per request%n", remoteP50, localP50, remoteP50 - localP50);
        System.out.printf("ScaleOutIT: whole test %d ms%n", millisSince(testStart));
    }

    // ------------------------------------------------------------------ the three roles

    /** A copy of the unpacked distribution under {@code root/name}, without runtime state. */
    static Path copy(Path root, String name) throws IOException {
        Path e2e = Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e"));
        Path source;
        try (Stream<Path> s = Files.list(e2e)) {
            source = s.filter(p -> Files.isDirectory(p.resolve("bin"))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unpacked distribution in " + e2e));
        }
        Path home = root.resolve(name);
        Files.createDirectories(home);
        try (Stream<Path> s = Files.walk(source)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = source.relativize(p);
                if (rel.startsWith("data") || rel.toString().isEmpty()) {
                    continue;
                }
                Files.copy(p, home.resolve(rel.toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        // the endpoint map of the distribution's earlier runs too: a gateway's must hold only its nodes' VMs
        for (String state : List.of("vamt-users.properties", "vamt-users.key", "vamt-endpoints.properties")) {
            Files.deleteIfExists(home.resolve("etc").resolve(state));
        }
        return home;
    }

    Instance gateway(Path home) throws Exception {
        karafPorts(home, 52100, 52180);
        boot(home, "vamt-gateway, vamt-zookeeper-server");
        remote(home, "127.0.0.1", 52900);
        site.issue(home, "gateway", LinkCertificates.Role.GATEWAY, "127.0.0.1");
        put(home, "etc/org.apache.aries.rsa.discovery.zookeeper.server.cfg", "clientPort",
                String.valueOf(ZOOKEEPER));
        put(home, "etc/org.apache.aries.rsa.discovery.zookeeper.server.cfg",
                "clientPortAddress", "127.0.0.1");
        put(home, "etc/org.apache.aries.rsa.discovery.zookeeper.server.cfg", "dataDir",
                home.resolve("data/zookeeper").toString());
        wsman(home);
        // a shell user for bin/client (the distribution ships none)
        Files.writeString(home.resolve("etc/users.properties"), "karaf = karaf,_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n",
                java.nio.file.StandardOpenOption.APPEND);
        return new Instance("gateway", home);
    }

    /** Runs a shell command on the gateway until its output matches {@code regex}; that output. */
    static String untilShell(Instance i, String command, String regex, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String out = "";
        while (System.currentTimeMillis() < deadline) {
            out = shell(i, command);
            if (out.matches(regex)) {
                return out;
            }
            Thread.sleep(2_000);
        }
        fail(command + " never matched " + regex + ": " + out);
        return out;
    }

    /** Sends a plain HTTP request to a link port: whatever comes back must not be plaintext HTTP. */
    static void assertNoPlaintextAnswer(String host, int port) throws Exception {
        String answer;
        try (java.net.Socket s = new java.net.Socket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /vamt/node/node-a/calls HTTP/1.1\r\nHost: " + host + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException closed) {
            answer = "closed: " + closed;
        }
        assertTrue("the link port of " + host + " answered plaintext HTTP: " + answer, !answer.contains("HTTP/"));
        System.out.println("ScaleOutIT: plain TCP to the link port " + host + ":" + port + " got "
                + (answer.isEmpty() ? "nothing (closed)" : answer.length() + " non-HTTP bytes"));
    }

    /**
     * One HTTPS request to a node's link port, presenting the link certificate of the peer at {@code home}
     * (trusting the site CA, as JSSE alone does): the node's HTTP answer, or "refused: " and why.
     */
    static String linkAnswer(Path home, String host, int port) throws Exception {
        Path etc = home.resolve("etc");
        char[] password = Files.readString(etc.resolve("vamt-link.password")).strip().toCharArray();
        java.security.KeyStore own = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(etc.resolve("vamt-link.p12"))) {
            own.load(in, password);
        }
        javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        keys.init(own, password);
        java.security.KeyStore anchors = java.security.KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        try (java.io.InputStream in = Files.newInputStream(etc.resolve("vamt-link-ca.pem"))) {
            anchors.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        trust.init(anchors);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /vamt/node/node-a HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.isEmpty() ? "refused: closed without an answer" : answer;
        } catch (IOException refused) {
            return "refused: " + refused;
        }
    }

    /** Runs one shell command on the gateway through bin/client (batch mode, ssh). */
    static String shell(Instance i, String command) throws Exception {
        Process p = new ProcessBuilder(i.home.resolve("bin/client").toString(), "-a", "52101", "-u", "karaf", "-p",
                "karaf", "-b").directory(i.home.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(command + " did not finish", p.waitFor(60, TimeUnit.SECONDS));
        System.out.println("ScaleOutIT: " + command + "\n" + out);
        return out;
    }

    /** Another gateway on the same ZooKeeper: its own WS-Man port and address range, no ZooKeeper server. */
    Instance secondGateway(Path home) throws Exception {
        karafPorts(home, 52140, 52145);
        boot(home, "vamt-gateway");
        remote(home, "127.0.0.1", 52903);
        site.issue(home, "gateway-2", LinkCertificates.Role.GATEWAY, "127.0.0.1");
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "port", "52996");
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "tlsPort", "52997");
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "firstAddress", "127.0.53.1");
        // gateways serve redirection (SOL/KVM) too: the first one has 16994/16995 on this host
        put(home, "etc/org.vamt.redirection.cfg", "port", "52998");
        put(home, "etc/org.vamt.redirection.cfg", "tlsPort", "52999");
        Instance i = new Instance("gateway-2", home);
        i.wsmanPort = 52996;
        return i;
    }

    Instance node(Path home, String id, String letter, String address, int remotePort, int karafBase)
            throws Exception {
        karafPorts(home, karafBase, karafBase + 5);
        boot(home, "vamt-node");
        remote(home, address, remotePort);
        site.issue(home, id, LinkCertificates.Role.NODE, address);
        put(home, "etc/org.vamt.remote.node.cfg", "vamt.node.id", id);
        // this node's own test-driver VMs: the demo set with node-specific UUIDs (same names on every node)
        Path demo = home.resolve("etc/vamt-demo-vms.xml");
        String xml = Files.readString(demo);
        Matcher m = Pattern.compile("<uuid>([0-9a-f-]+)-0000(\\d{8})</uuid>").matcher(xml);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, "<uuid>" + m.group(1) + "-" + letter + "000" + m.group(2) + "</uuid>");
        }
        m.appendTail(out);
        Files.writeString(demo, out.toString());
        return new Instance(id, home);
    }

    Instance allInOne(Path home) throws IOException {
        karafPorts(home, 52130, 52135);
        boot(home, "vamt");
        wsman(home);
        // node A's VMs, served by the local libvirt hypervisor
        Files.copy(started.get(1).home.resolve("etc/vamt-demo-vms.xml"), home.resolve("etc/vamt-demo-vms.xml"),
                StandardCopyOption.REPLACE_EXISTING);
        return new Instance("all-in-one", home);
    }

    /** Sets a key in a .cfg file, creating the file when the feature that brings it has not run yet. */
    static void put(Path home, String file, String key, String value) throws IOException {
        if (!Files.exists(home.resolve(file))) {
            Files.writeString(home.resolve(file), "");
        }
        DistributionFiles.setProperty(home, file, key, value);
    }

    static void wsman(Path home) throws IOException {
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "port", String.valueOf(WSMAN));
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "tlsPort", String.valueOf(WSMAN + 1));
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "firstAddress", FIRST_ADDRESS);
    }

    /** This host's link address and port (its link certificate is issued separately) and where ZooKeeper is. */
    static void remote(Path home, String address, int port) throws IOException {
        Path cfg = home.resolve("etc/org.vamt.remote.cfg");
        Files.writeString(cfg, "bindAddress = " + address + "\nport = " + port + "\n");
        Path discovery = home.resolve("etc/org.apache.aries.rsa.discovery.zookeeper.cfg");
        Files.writeString(discovery, "zookeeper.host = 127.0.0.1\nzookeeper.port = " + ZOOKEEPER
                + "\nzookeeper.timeout = 4000\n");
    }

    /**
     * Boots the given role features instead of the all-in-one {@code vamt}. JNA is in the first
     * stage already, and in etc/startup.properties (docs/scale-out.md: JNA in the second stage
     * refreshes the shell during the boot).
     */
    static void boot(Path home, String features) throws IOException {
        Path cfg = home.resolve("etc/org.apache.karaf.features.cfg");
        String text = Files.readString(cfg);
        assertTrue("featuresBoot ends with scr, vamt-jna), (vamt): " + text, text.contains("scr, vamt-jna), (vamt)"));
        Files.writeString(cfg, text.replace("scr, vamt-jna), (vamt)", "scr, vamt-jna), (" + features + ")")
                // a synchronous boot deadlocked twice here (4 Karafs booting on 2 busy cores): the
                // start-level thread held the features bundle while its install waited to stop it
                .replace("featuresBootAsynchronous=false", "featuresBootAsynchronous=true"));
    }

    /** Every Karaf port of this copy moved off the defaults (ssh, RMI registry and server, HTTP). */
    static void karafPorts(Path home, int base, int http) throws IOException {
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.shell.cfg", "sshPort", String.valueOf(base + 1));
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiRegistryPort",
                String.valueOf(base + 2));
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiServerPort",
                String.valueOf(base + 3));
        DistributionFiles.setProperty(home, "etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port",
                String.valueOf(http));
    }

    /** kill -9 of the whole bin/karaf tree; the instance counts as stopped on purpose. */
    static void kill(Instance i) throws Exception {
        RestartIT.killTree(i.process);
        i.process = null;
    }

    void start(Instance i) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(i.home.resolve("bin/karaf").toString(), "server")
                .directory(i.home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(i.home.resolve("karaf-console.log").toFile()));
        pb.environment().put("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD);
        i.process = pb.start();
        if (!started.contains(i)) {
            started.add(i);
        }
    }

    // ------------------------------------------------------------------ what the gateway serves

    /** Waits until the gateway's endpoint map has {@code count} VMs that answer a Get. */
    Map<String, String> untilEndpoints(Instance gateway, int count, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        Map<String, String> map = Map.of();
        while (System.currentTimeMillis() < deadline) {
            for (Instance i : started) {
                if (i.process != null && !i.process.isAlive()) {
                    fail(i.name + " exited; see " + i.home.resolve("karaf-console.log") + " and its data/log");
                }
            }
            map = endpointMap(gateway);
            if (map.size() >= count && allAnswer(map, gateway.wsmanPort)) {
                return map;
            }
            Thread.sleep(500);
        }
        fail("the gateway did not serve " + count + " VMs within " + timeoutMillis + " ms: " + map + "; see "
                + gateway.home.resolve("data/log/karaf.log"));
        return null;
    }

    static boolean allAnswer(Map<String, String> endpoints, int port) {
        for (String address : endpoints.values()) {
            try {
                if (new WsmanClient(address, port).post(get(COMPUTER_SYSTEM)).statusCode() != 200) {
                    return false;
                }
            } catch (IOException | InterruptedException e) {
                return false;
            }
        }
        return true;
    }

    /** The endpoints the gateway announced: uuid (lower case) → address. */
    static Map<String, String> endpointMap(Instance i) throws IOException {
        return DistributionFiles.endpointMap(i.home);
    }

    static Map<String, String> vmsOf(Map<String, String> endpoints, String letter) {
        Map<String, String> vms = new LinkedHashMap<>();
        endpoints.forEach((uuid, address) -> {
            if (uuid.substring(24).startsWith(letter + "000")) {
                vms.put(uuid, address);
            }
        });
        return vms;
    }

    /** The demo UUID of VM number {@code n} as node {@code letter} rewrote it. */
    static String uuid(String letter, int n) {
        return String.format("6f8c1a52-4b1e-4d6a-9a01-%s000%08d", letter, n);
    }

    /** The endpoint at {@code address} is VM {@code uuid}'s: its Digest realm, and a Get answered. */
    static void assertServes(String address, String uuid) throws Exception {
        WsmanClient client = new WsmanClient(address, WSMAN);
        HttpResponse<String> challenge = client.send(get(COMPUTER_SYSTEM), null);
        String realm = "Digest:" + uuid.replace("-", "").toUpperCase(Locale.ROOT);
        assertTrue("VM " + uuid + " at " + address + ": " + challenge.headers().firstValue("WWW-Authenticate"),
                challenge.headers().firstValue("WWW-Authenticate").orElse("").contains(realm));
        HttpResponse<String> r = untilAnswered(client, get(COMPUTER_SYSTEM));
        assertEquals(address + ": " + r.body(), 200, r.statusCode());
    }

    static HttpResponse<String> untilAnswered(WsmanClient client, String envelope) throws Exception {
        return RestartIT.untilAnswered(client, envelope);
    }

    static String get(String resourceUri) {
        return RestartIT.get(resourceUri);
    }

    /** Median latency of {@code n} authenticated Gets on one connection-reusing client, after a warm-up. */
    static long p50Micros(WsmanClient client, int n) throws Exception {
        for (int i = 0; i < 50; i++) {
            assertEquals(200, client.post(get(COMPUTER_SYSTEM)).statusCode());
        }
        long[] micros = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.post(get(COMPUTER_SYSTEM));
            micros[i] = (System.nanoTime() - t0) / 1_000;
            assertEquals(r.body(), 200, r.statusCode());
        }
        Arrays.sort(micros);
        return micros[n / 2];
    }

    static List<String> runMeshCentral(String address, String... steps) throws Exception {
        Path node = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));
        List<String> cmd = new ArrayList<>(List.of("node", node.resolve("meshcentral-session.js").toString(), address,
                String.valueOf(WSMAN), "admin", WsmanClient.PASSWORD));
        cmd.addAll(List.of(steps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("MeshCentral on " + address + " did not finish: " + out);
        }
        assertEquals("MeshCentral on " + address + ": " + out, 0, p.exitValue());
        return out.lines().filter(l -> l.startsWith("{")).toList();
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
