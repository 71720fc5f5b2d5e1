package org.vamt.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The end-to-end benchmarks of issue 8, one subcommand each (see docs/benchmarks.md for the runs):
 *
 * <pre>
 * paper        host port floorPort user password requests    Get latency, 1 client: vAMT, then the floor, ratio
 * concurrency  host port user password requestsPerLevel 1,4,16,64   throughput + latency per level (CSV lines too)
 * inventory    host port user password rounds                Enumerate+Pull of the 10 inventory classes
 * power        host port user password rounds                RequestPowerStateChange off (8) / on (2) round trips
 * await-all    karafLog port startEpochMillis                time until every endpoint answers Identify (8 pollers)
 * first-last   karafLog port user password requests          Get latency on the lowest vs the highest address
 * </pre>
 *
 * With {@code -Dvamt.pid=<karaf pid>}, paper and inventory also print the server's CPU time per request.
 */
public final class Bench {
    private static final Pattern CONTEXT = Pattern.compile("<[a-zA-Z]+:EnumerationContext>([^<]+)</");
    private static final Pattern RETURN = Pattern.compile("ReturnValue>(\\d+)<");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "paper" -> paper(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4], args[5],
                    Integer.parseInt(args[6]));
            case "concurrency" -> concurrency(args[1], Integer.parseInt(args[2]), args[3], args[4],
                    Integer.parseInt(args[5]), args[6], args.length > 7 ? args[7] : "vamt");
            case "inventory" -> inventory(args[1], Integer.parseInt(args[2]), args[3], args[4], Integer.parseInt(args[5]));
            case "power" -> power(args[1], Integer.parseInt(args[2]), args[3], args[4], Integer.parseInt(args[5]));
            case "await-all" -> awaitAll(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
            case "first-last" -> firstLast(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4],
                    Integer.parseInt(args[5]));
            default -> {
                System.err.println("usage: see the Javadoc of org.vamt.bench.Bench");
                System.exit(2);
            }
        }
    }

    private static void paper(String host, int port, int floorPort, String user, String password, int requests)
            throws InterruptedException {
        byte[] get = Envelopes.getSoftwareIdentity();
        LoadRun.run(host, port, user, password, get, requests / 5, 1);
        LoadRun.run("127.0.0.1", floorPort, user, password, get, requests / 5, 1);
        ServerCpu cpu = ServerCpu.start();
        LoadRun.Result vamt = LoadRun.run(host, port, user, password, get, requests, 1);
        String vamtCpu = ServerCpu.perRequest(cpu, requests);
        LoadRun.Result floor = LoadRun.run("127.0.0.1", floorPort, user, password, get, requests, 1);
        System.out.println("vAMT : " + vamt);
        System.out.println("floor: " + floor);
        if (!vamtCpu.isEmpty()) {
            System.out.println("vAMT " + vamtCpu);
        }
        System.out.printf("ratio vAMT/floor: p50 %.2f, p99 %.2f%n",
                vamt.latencies().percentileMs(0.5) / floor.latencies().percentileMs(0.5),
                vamt.latencies().percentileMs(0.99) / floor.latencies().percentileMs(0.99));
    }

    private static void concurrency(String host, int port, String user, String password, int perLevel, String levels,
            String label) throws InterruptedException {
        byte[] get = Envelopes.getSoftwareIdentity();
        LoadRun.run(host, port, user, password, get, perLevel / 5, 4);
        List<String> csv = new ArrayList<>();
        for (String level : levels.split(",")) {
            LoadRun.Result r = LoadRun.run(host, port, user, password, get, perLevel, Integer.parseInt(level));
            System.out.println(r);
            csv.add(String.format("%s %s %.0f %.3f %.3f", label, level, r.throughput(), r.latencies().percentileMs(0.5),
                    r.latencies().percentileMs(0.99)));
        }
        System.out.println("# label clients requests/s p50_ms p99_ms");
        csv.forEach(System.out::println);
    }

    private static void inventory(String host, int port, String user, String password, int rounds) throws IOException {
        Latencies sweeps = new Latencies();
        Latencies requests = new Latencies();
        int instances = 0;
        ServerCpu cpu = null;
        try (WsmanConnection c = new WsmanConnection(host, port, user, password)) {
            for (int round = -rounds / 5; round < rounds; round++) {
                if (round == 0) {
                    cpu = ServerCpu.start();
                }
                long t0 = System.nanoTime();
                int seen = 0;
                for (String cimClass : Envelopes.INVENTORY) {
                    long r0 = System.nanoTime();
                    WsmanConnection.Response e = c.post(Envelopes.enumerate(cimClass));
                    expect(e, cimClass);
                    Matcher m = CONTEXT.matcher(e.body());
                    String context = m.find() ? m.group(1) : null;
                    if (round >= 0) {
                        requests.add((System.nanoTime() - r0) / 1_000);
                    }
                    while (context != null) {
                        r0 = System.nanoTime();
                        WsmanConnection.Response p = c.post(Envelopes.pull(cimClass, context));
                        expect(p, cimClass);
                        seen += p.body().split("<h:" + cimClass + ">", -1).length - 1;
                        m = CONTEXT.matcher(p.body());
                        context = m.find() ? m.group(1) : null;
                        if (round >= 0) {
                            requests.add((System.nanoTime() - r0) / 1_000);
                        }
                    }
                }
                if (round >= 0) {
                    sweeps.add((System.nanoTime() - t0) / 1_000);
                    instances = seen;
                }
            }
        }
        System.out.println("inventory sweeps (10 classes, Enumerate+Pull each, " + instances + " instances): "
                + sweeps.summary());
        System.out.println("single Enumerate or Pull: " + requests.summary());
        String cpuLine = ServerCpu.perRequest(cpu, requests.count());
        if (!cpuLine.isEmpty()) {
            System.out.println("inventory " + cpuLine);
        }
    }

    private static void power(String host, int port, String user, String password, int rounds) throws IOException {
        Latencies off = new Latencies();
        Latencies on = new Latencies();
        try (WsmanConnection c = new WsmanConnection(host, port, user, password)) {
            c.post(Envelopes.getSoftwareIdentity());
            for (int i = 0; i < rounds; i++) {
                off.add(powerChange(c, 8));
                on.add(powerChange(c, 2));
            }
        }
        System.out.println("RequestPowerStateChange 8 (off): " + off.summary());
        System.out.println("RequestPowerStateChange 2 (on) : " + on.summary());
    }

    private static long powerChange(WsmanConnection c, int state) throws IOException {
        long t0 = System.nanoTime();
        WsmanConnection.Response r = c.post(Envelopes.requestPowerStateChange(state));
        long micros = (System.nanoTime() - t0) / 1_000;
        Matcher m = RETURN.matcher(r.body());
        if (r.status() != 200 || !m.find() || !m.group(1).equals("0")) {
            throw new IllegalStateException("power " + state + " failed: " + r.status() + " " + r.body());
        }
        return micros;
    }

    private static void expect(WsmanConnection.Response r, String what) {
        if (r.status() != 200) {
            throw new IllegalStateException(what + ": HTTP " + r.status() + " " + r.body());
        }
    }

    private static final Pattern ANNOUNCED = Pattern.compile("vAMT endpoint: VM '.*' \\(([0-9a-fA-F-]{36})\\) at "
            + "http://([0-9.]+):");

    /**
     * The endpoint addresses vAMT keeps in its endpoint file ({@code etc/vamt-endpoints.properties}
     * beside {@code data/log/}) and those it announced in its log ({@code data/log/karaf.log}: each VM
     * at start before issue 21, new and moved ones since), lowest first; a VM counts once.
     */
    static List<String> addresses(Path karafLog) throws IOException {
        java.util.Map<String, String> byVm = new java.util.HashMap<>();
        if (Files.exists(karafLog)) {
            try (java.util.stream.Stream<String> lines = Files.lines(karafLog)) {
                lines.map(ANNOUNCED::matcher).filter(java.util.regex.Matcher::find)
                        .forEach(m -> byVm.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2)));
            }
        }
        Path file = karafLog.toAbsolutePath().getParent().getParent().resolveSibling("etc")
                .resolve("vamt-endpoints.properties");
        if (Files.exists(file)) {
            java.util.Properties kept = new java.util.Properties();
            try (java.io.Reader r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                kept.load(r);
            }
            kept.stringPropertyNames().stream().filter(k -> k.indexOf('.') < 0)
                    .forEach(k -> byVm.put(k.toLowerCase(java.util.Locale.ROOT), kept.getProperty(k).trim()));
        }
        List<String> result = new ArrayList<>(byVm.values());
        result.sort(Comparator.comparingLong(Bench::numeric));
        return result;
    }

    private static long numeric(String address) {
        try {
            long n = 0;
            for (byte b : InetAddress.getByName(address).getAddress()) {
                n = n << 8 | (b & 0xff);
            }
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    /** Threads polling Identify at once: one after the other, a round over 10,000 endpoints took ~25 s by itself. */
    private static final int POLLERS = 8;

    private static void awaitAll(Path karafLog, int port, long startEpochMillis) throws Exception {
        byte[] identify = Envelopes.identify();
        while (addresses(karafLog).isEmpty()) {
            Thread.sleep(20);
        }
        java.util.concurrent.atomic.AtomicLong firstAnswer = new java.util.concurrent.atomic.AtomicLong(-1);
        List<String> waiting = new ArrayList<>(addresses(karafLog));
        int expected = Integer.getInteger("expected", 0);
        int total = waiting.size();
        java.util.concurrent.ExecutorService pollers = java.util.concurrent.Executors.newFixedThreadPool(POLLERS);
        try {
            while (!waiting.isEmpty() || total < expected) {
                if (total < expected) {
                    List<String> now = addresses(karafLog);
                    if (now.size() > total) {
                        waiting = new ArrayList<>(now);
                        total = now.size();
                    }
                }
                // each poller takes the next address still to ask, until this round has asked them all
                java.util.concurrent.ConcurrentLinkedQueue<String> round = new java.util.concurrent.ConcurrentLinkedQueue<>(waiting);
                java.util.Set<String> still = java.util.concurrent.ConcurrentHashMap.newKeySet();
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int i = 0; i < POLLERS; i++) {
                    done.add(pollers.submit(() -> {
                        for (String address; (address = round.poll()) != null; ) {
                            if (!answers(address, port, identify)) {
                                still.add(address);
                            } else {
                                firstAnswer.compareAndSet(-1, System.currentTimeMillis() - startEpochMillis);
                            }
                        }
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
                waiting = new ArrayList<>(still);
                if (!waiting.isEmpty()) {
                    Thread.sleep(20);
                }
            }
        } finally {
            pollers.shutdownNow();
        }
        System.out.printf("endpoints %d: first Identify answer %d ms, all answering %d ms after start%n", total,
                firstAnswer.get(), System.currentTimeMillis() - startEpochMillis);
    }

    /** Whether the endpoint at {@code address} answers Identify (200) now. */
    private static boolean answers(String address, int port, byte[] identify) {
        try (WsmanConnection c = new WsmanConnection(address, port, null, null)) {
            return c.post(identify).status() == 200;
        } catch (IOException notYet) {
            return false;   // not listening yet
        }
    }

    private static void firstLast(Path karafLog, int port, String user, String password, int requests)
            throws Exception {
        List<String> all = addresses(karafLog);
        byte[] get = Envelopes.getSoftwareIdentity();
        for (String address : List.of(all.get(0), all.get(all.size() - 1))) {
            LoadRun.run(address, port, user, password, get, requests / 5, 1);
        }
        for (String address : List.of(all.get(0), all.get(all.size() - 1))) {
            System.out.println("Get on " + address + ": " + LoadRun.run(address, port, user, password, get, requests, 1));
        }
    }
}
