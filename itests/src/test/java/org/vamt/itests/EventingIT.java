package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Test;
import org.vamt.security.digest.DigestMath;

/**
 * Issue 23: AMT alerts over WS-Eventing in the real distribution. A console subscribes with
 * MeshCentral's own stack ({@code meshcentral-subscribe.js}: amt-wsman.js ExecSubscribe, the
 * subscriber's credentials as an IssuedTokens UsernameToken with wsman:Auth Digest), to this test's
 * loopback listener, which demands HTTP Digest. The VM is powered off and on through libvirt
 * directly ({@code virsh} on a private libvirtd's shared test-driver instance, which outlives vAMT), and
 * both events arrive with correct Digest. vAMT is killed and started again: the subscription is
 * still there and the next event arrives. vAMT's own audit record of a Subscribe reaches the subscriber
 * too. A subscription whose Expires has passed gets nothing.
 *
 * <p>Own copy of the distribution ({@code target/eventing}); ports 37992 (37993 TLS), 37181,
 * 37101, 37099/37444.
 */
public class EventingIT {
    static final int PORT = 37992;
    /**
     * The domain of libvirt's shared test-driver instance ({@code test:///default}): a test driver
     * opened from a file is a private copy per connection, so virsh would power off a copy vAMT never
     * sees; the default instance is one per daemon, shared by vAMT and virsh, and outlives vAMT.
     */
    static final String VM_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f";
    static final String VM_NAME = "test";
    static final Path NODE = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));
    Process karaf;
    PrivateLibvirtd libvirtd;
    /** A virsh session that holds a connection, so the shared test-driver instance outlives vAMT's restart. */
    Process holder;
    final List<Listener> listeners = new ArrayList<>();

    @After
    public void cleanUp() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
        if (holder != null) {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (libvirtd != null) {
            libvirtd.close();
        }
        listeners.forEach(Listener::close);
    }

    @Test
    public void meshCentralSubscribesAndGetsLibvirtPowerEventsWithDigestAcrossARestartUntilItExpires()
            throws Exception {
        if (!Files.isDirectory(NODE.resolve("node_modules/meshcentral"))) {
            fail("Node packages missing: run 'npm ci --omit=optional --ignore-scripts' in " + NODE);
        }
        Path home = RestartIT.freshCopyOfTheDistribution("eventing", PORT, PORT + 1, 37181, 37101, 37099, 37444);
        libvirtd = PrivateLibvirtd.start(home.resolveSibling("libvirtd"), home.resolve("etc/vamt-demo-vms.xml"));
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "uri", sharedTestDriver());
        // libvirt frees test:///default when its last connection closes: one stays open for the test
        holder = new ProcessBuilder("virsh", "-c", sharedTestDriver()).redirectErrorStream(true).start();
        holder.getOutputStream().write("uri\n".getBytes(StandardCharsets.UTF_8));
        holder.getOutputStream().flush();
        java.io.BufferedReader holderOut = new java.io.BufferedReader(new java.io.InputStreamReader(
                holder.getInputStream(), StandardCharsets.UTF_8));
        for (String line = holderOut.readLine(); line != null && !line.contains("test+unix");
             line = holderOut.readLine()) {
            // the banner; the session is connected once it has answered "uri"
        }
        Map<String, String> env = Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD);
        karaf = RestartIT.startKaraf(home, PORT, env);
        String vm = address(home);
        RestartIT.untilAnswered(new WsmanClient(vm, PORT), RestartIT.generalSettings());

        Listener lasting = listen("console", "Subscriber-Pass-1");
        Listener expiring = listen("console2", "Subscriber-Pass-2");
        String answer = subscribe(vm, "PushWithAck", lasting, null);
        assertTrue(answer, answer.contains("SubscriptionManager"));
        String expiringAnswer = subscribe(vm, "Push", expiring, "PT6S");
        assertTrue(expiringAnswer, expiringAnswer.contains("Expires"));
        long expiresAt = System.currentTimeMillis() + 6000;

        virsh("destroy", VM_NAME);
        long offAt = System.nanoTime();
        String off = lasting.next("VAMT0003", 5);
        assertNotNull("no power-off event at the subscriber", off);
        System.out.printf("EventingIT: power-off event %d ms after virsh returned%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - offAt));
        assertTrue(off, off.contains("CIM_AlertIndication") && off.contains("VAMT0003"));
        assertTrue("PushWithAck asks for an Ack: " + off, off.contains("AckRequested"));
        assertNotNull("the subscription that has not expired yet got no event", expiring.next("VAMT0003", 5));
        // vAMT's own events: the second Subscribe's audit record ("Alert Subscribed") reached the first subscriber
        String audit = lasting.seen("VAMT0100", 5);
        assertNotNull("no audit event at the subscriber", audit);
        assertTrue(audit, audit.contains("alert subscribed by admin"));

        while (System.currentTimeMillis() < expiresAt + 500) {
            Thread.sleep(100);
        }
        virsh("start", VM_NAME);
        String on = lasting.next("VAMT0001", 5);
        assertNotNull("no power-on event at the subscriber", on);
        assertTrue(on, on.contains("VAMT0001"));
        assertNull("the expired subscription got an event", expiring.next(null, 2));

        RestartIT.killTree(karaf);
        karaf = RestartIT.startKaraf(home, PORT, env);
        RestartIT.untilAnswered(new WsmanClient(vm, PORT), RestartIT.generalSettings());
        awaitLog(home, "Loaded 1 event subscriptions");   // read back from the VM just after the start
        virsh("destroy", VM_NAME);
        assertNotNull("the subscription did not survive the restart", lasting.next("VAMT0003", 10));
        assertNull("the expired subscription came back with the restart", expiring.next(null, 2));
        assertEquals("every credential the listeners saw was right", 0,
                lasting.refused.get() + expiring.refused.get());

        String records = String.join("\n", RestartIT.describe(RestartIT.auditRecords(new WsmanClient(vm, PORT))));
        assertTrue(records, records.contains("24/0 admin"));
        for (Path file : List.of(home.resolve("etc"), home.resolve("data/log"))) {
            try (Stream<Path> s = Files.walk(file)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                    assertTrue("a subscriber's password is in clear in " + f,
                            !text.contains("Subscriber-Pass-1") && !text.contains("Subscriber-Pass-2"));
                }
            }
        }
    }

    private Listener listen(String user, String password) throws IOException {
        Listener l = new Listener(user, password);
        listeners.add(l);
        return l;
    }

    /** Subscribes through MeshCentral's stack; the answer's JSON line. */
    private static String subscribe(String vm, String mode, Listener to, String expires) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", NODE.resolve("meshcentral-subscribe.js").toString(), vm,
                String.valueOf(PORT), "admin", WsmanClient.PASSWORD, "subscribe", mode, to.url(), to.user,
                to.password, "node-1"));
        if (expires != null) {
            cmd.add("expires:" + expires);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("meshcentral-subscribe.js did not finish", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("subscribe failed: " + out, 0, p.exitValue());
        return out;
    }

    private void virsh(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-c", sharedTestDriver()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("virsh hung", p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("virsh " + String.join(" ", args) + ": " + out, 0, p.exitValue());
    }

    /** Waits for the second start's line in karaf.log (the first start's log is the same file). */
    private static void awaitLog(Path home, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        Path log = home.resolve("data/log/karaf.log");
        while (Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream().noneMatch(l -> l.contains(text))) {
            assertTrue("no '" + text + "' in " + log, System.currentTimeMillis() < deadline);
            Thread.sleep(200);
        }
    }

    private String sharedTestDriver() {
        return "test+unix:///default?socket=" + libvirtd.socket();
    }

    String address(Path home) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            String a = DistributionFiles.endpointMap(home).get(VM_UUID);
            if (a != null) {
                return a;
            }
            assertTrue("no endpoint for " + VM_NAME + " in " + home.resolve("data/log/karaf.log"),
                    System.currentTimeMillis() < deadline);
            Thread.sleep(200);
        }
    }

    /** A subscriber's loopback HTTP listener that demands Digest (qop=auth) and keeps what verified. */
    static final class Listener {
        final String user;
        final String password;
        final String nonce = UUID.randomUUID().toString();
        final HttpServer server;
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        /** Every event received, also those {@link #next} skipped. */
        final List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger refused = new AtomicInteger();

        Listener(String user, String password) throws IOException {
            this.user = user;
            this.password = password;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/amt-events", this::handle);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/amt-events";
        }

        /** An event with this MessageID received so far or within {@code seconds}. */
        String seen(String messageId, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            do {
                for (String event : all) {
                    if (event.contains("<g:MessageID>" + messageId + "<")) {
                        return event;
                    }
                }
                Thread.sleep(50);
            } while (System.nanoTime() < deadline);
            return null;
        }

        /** The next event with this MessageID (any, for null) within {@code seconds}; others are skipped. */
        String next(String messageId, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                String event = received.poll(left, TimeUnit.NANOSECONDS);
                if (event != null && (messageId == null || event.contains("<g:MessageID>" + messageId + "<"))) {
                    return event;
                }
            }
            return null;
        }

        private void handle(HttpExchange x) throws IOException {
            byte[] body = x.getRequestBody().readAllBytes();
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (auth != null && verified(auth, x.getRequestMethod(), x.getRequestURI().toString())) {
                received.add(new String(body, StandardCharsets.UTF_8));
                all.add(new String(body, StandardCharsets.UTF_8));
                x.sendResponseHeaders(200, -1);
            } else {
                if (auth != null) {
                    refused.incrementAndGet();
                }
                x.getResponseHeaders().add("WWW-Authenticate",
                        "Digest realm=\"events\", nonce=\"" + nonce + "\", qop=\"auth\"");
                x.sendResponseHeaders(401, -1);
            }
            x.close();
        }

        private boolean verified(String header, String method, String uri) {
            if (!header.startsWith("Digest ")) {
                return false;
            }
            Map<String, String> p = DigestMath.parameters(header.substring(7));
            if (!user.equals(p.get("username")) || !nonce.equals(p.get("nonce")) || !uri.equals(p.get("uri"))) {
                return false;
            }
            String expected = DigestMath.response(DigestMath.ha1(user, "events", password), nonce, p.get("nc"),
                    p.get("cnonce"), p.get("qop"), method, uri);
            return DigestMath.sameDigest(expected, p.get("response"));
        }

        void close() {
            server.stop(0);
        }
    }
}
