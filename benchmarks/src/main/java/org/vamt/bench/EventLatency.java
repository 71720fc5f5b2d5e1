package org.vamt.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.digest.DigestMath;

/**
 * Event latency from libvirt to a WS-Eventing subscriber with {@code n} subscribed VMs (issue 23).
 * vAMT runs on a private libvirtd's shared test-driver instance ({@code test:///default}); this
 * program defines and starts {@code n} domains there through one {@code virsh} session, waits for
 * their endpoints, subscribes every VM (PushWithAck, Digest credentials, MeshCentral's envelope) to
 * its own path of a loopback listener that checks Digest, then powers VMs off and on one at a time
 * with {@code destroy}/{@code start} in that virsh session. Latency: from the command written to
 * virsh to the event's arrival at the listener (so it includes virsh and libvirtd's own handling).
 *
 * <pre>java -cp … org.vamt.bench.EventLatency &lt;libvirt socket&gt; &lt;distribution&gt; &lt;user&gt; &lt;password&gt; &lt;n&gt; &lt;events&gt;</pre>
 */
public final class EventLatency {
    private static final String WSE = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
    private final Map<String, BlockingQueue<Long>> arrivals = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final String nonce = UUID.randomUUID().toString();

    private EventLatency() {
    }

    public static void main(String[] args) throws Exception {
        new EventLatency().run(Path.of(args[0]), Path.of(args[1]), args[2], args[3], Integer.parseInt(args[4]),
                Integer.parseInt(args[5]));
    }

    private void run(Path socket, Path dist, String user, String password, int n, int events) throws Exception {
        String uri = "test+unix:///default?socket=" + socket;
        Process virsh = new ProcessBuilder("virsh", "-c", uri).redirectErrorStream(true).start();
        OutputStream commands = virsh.getOutputStream();
        BlockingQueue<String> output = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(virsh.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    output.add(l);
                }
            } catch (IOException ignored) {
                // virsh ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        Path xml = Files.createTempDirectory("vamt-event-vms");
        List<String> names = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) {
            String name = String.format("ev-%06d", i);
            names.add(name);
            Path f = xml.resolve(name + ".xml");
            Files.writeString(f, "<domain type='test'><name>" + name + "</name><uuid>"
                    + String.format("7e1d0000-0000-4000-8000-%012d", i) + "</uuid><memory>1048576</memory>"
                    + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
            send(commands, "define " + f + "\nstart " + name + "\n");
        }
        send(commands, "echo defined-all\n");
        await(output, "defined-all", 600);
        System.out.printf("defined and started %d domains in %d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        Map<String, String> addresses = awaitEndpoints(dist.resolve("etc/vamt-endpoints.properties"), names);
        HttpServer listener = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        listener.createContext("/vm/", x -> receive(x, "console", "Listener-Pass-1"));
        listener.setExecutor(Executors.newFixedThreadPool(4));
        listener.start();
        String base = "http://127.0.0.1:" + listener.getAddress().getPort() + "/vm/";
        int port = Integer.getInteger("vamt.port", 16992);
        t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> subscribed = new ArrayList<>();
        for (String name : names) {
            arrivals.put(name, new LinkedBlockingQueue<>());
            subscribed.add(pool.submit(() -> new DigestClient("http://" + addresses.get(name) + ":" + port + "/wsman",
                    user, password).post(subscribe(base + name)).statusCode()));
        }
        for (Future<Integer> f : subscribed) {
            if (f.get() != 200) {
                throw new IllegalStateException("a Subscribe was answered " + f.get());
            }
        }
        pool.shutdown();
        System.out.printf("subscribed %d VMs in %d ms%n", n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        Latencies latencies = new Latencies();
        boolean[] running = new boolean[n];
        java.util.Arrays.fill(running, true);
        int missed = 0;
        int warmup = Math.min(20, events);
        java.util.Random random = new java.util.Random(23);
        for (int e = 0; e < warmup + events; e++) {
            int i = random.nextInt(n);
            String name = names.get(i);
            arrivals.get(name).clear();
            long sent = System.nanoTime();
            send(commands, (running[i] ? "destroy " : "start ") + name + "\n");
            running[i] = !running[i];
            Long arrived = arrivals.get(name).poll(5, TimeUnit.SECONDS);
            if (arrived == null) {
                missed++;
            } else if (e >= warmup) {
                latencies.add(TimeUnit.NANOSECONDS.toMicros(arrived - sent));
            }
        }
        System.out.printf("event latency, libvirt power transition to subscriber, %d VMs subscribed: %s; "
                + "missed (no event within 5 s) %d; Digest refused %d%n", n, latencies.summary(), missed, refused.get());
        send(commands, "quit\n");
        virsh.waitFor(10, TimeUnit.SECONDS);
        listener.stop(0);
        System.exit(0);
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void await(BlockingQueue<String> output, String line, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String l = output.poll(1, TimeUnit.SECONDS);
            if (l != null && l.contains("error")) {
                System.err.println("virsh: " + l);
            }
            if (l != null && l.trim().equals(line)) {
                return;
            }
        }
        throw new IllegalStateException("virsh did not get to '" + line + "'");
    }

    private static Map<String, String> awaitEndpoints(Path file, List<String> names) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            Map<String, String> byName = new ConcurrentHashMap<>();
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (var in = Files.newInputStream(file)) {
                    p.load(in);
                }
                for (String key : p.stringPropertyNames()) {
                    if (key.endsWith(".name")) {
                        String uuid = key.substring(0, key.length() - 5);
                        if (p.getProperty(uuid) != null) {
                            byName.put(p.getProperty(key), p.getProperty(uuid));
                        }
                    }
                }
            }
            if (byName.keySet().containsAll(names)) {
                return byName;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + byName.size() + " endpoints in " + file);
            }
            Thread.sleep(500);
        }
    }

    /** A Subscribe as MeshCentral's amt-wsman.js ExecSubscribe writes it, PushWithAck with Digest credentials. */
    private static String subscribe(String notifyTo) {
        return "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:e=\"" + WSE + "\"><Header>"
                + "<a:Action>" + WSE + "/Subscribe</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/*</w:ResourceURI><a:MessageID>1</a:MessageID>"
                + "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>"
                + "</a:ReplyTo><t:IssuedTokens xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
                + "xmlns:se=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
                + "<t:RequestSecurityTokenResponse><t:RequestedSecurityToken><se:UsernameToken>"
                + "<se:Username>console</se:Username><se:Password>Listener-Pass-1</se:Password></se:UsernameToken>"
                + "</t:RequestedSecurityToken></t:RequestSecurityTokenResponse></t:IssuedTokens></Header><Body>"
                + "<e:Subscribe><e:Delivery Mode=\"http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck\">"
                + "<e:NotifyTo><a:Address>" + notifyTo + "</a:Address></e:NotifyTo>"
                + "<w:Auth Profile=\"http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest\"/>"
                + "</e:Delivery></e:Subscribe></Body></Envelope>";
    }

    private void receive(HttpExchange x, String user, String password) throws IOException {
        long now = System.nanoTime();
        x.getRequestBody().readAllBytes();
        String path = x.getRequestURI().getPath();
        String auth = x.getRequestHeaders().getFirst("Authorization");
        boolean ok = false;
        if (auth != null && auth.startsWith("Digest ")) {
            Map<String, String> p = DigestMath.parameters(auth.substring(7));
            String expected = DigestMath.response(DigestMath.ha1(user, "events", password), nonce, p.get("nc"),
                    p.get("cnonce"), p.get("qop"), "POST", x.getRequestURI().toString());
            ok = user.equals(p.get("username")) && nonce.equals(p.get("nonce"))
                    && DigestMath.sameDigest(expected, p.get("response"));
            if (!ok) {
                refused.incrementAndGet();
            }
        }
        if (!ok) {
            x.getResponseHeaders().add("WWW-Authenticate", "Digest realm=\"events\", nonce=\"" + nonce
                    + "\", qop=\"auth\"");
            x.sendResponseHeaders(401, -1);
            x.close();
            return;
        }
        BlockingQueue<Long> q = arrivals.get(path.substring(path.lastIndexOf('/') + 1));
        if (q != null) {
            q.add(now);
        }
        x.sendResponseHeaders(200, -1);
        x.close();
    }
}
