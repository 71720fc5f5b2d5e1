package org.vamt.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scale-out stage of run-all.sh (issue 24): node Karafs with test-driver VMs
 * ({@link TestDriverXml} with the node's number in every UUID) behind gateways. Every request is an
 * authenticated Get CIM_ComputerSystem, which a gateway answers with a call to the VM's node.
 *
 * <pre>
 * await        gatewayHome port user password expectedVms t0EpochMillis label
 *                  until the gateway's endpoint map holds expectedVms VMs and each answers the Get
 * latency      user password requests 1,16 rounds label=host:port...   Get p50/p99 per target and
 *                  client count, the targets interleaved round after round
 * node-kill    gatewayHome port user password nodePid nodeNumber      kill -9 of a node under load:
 *                  which VMs fault and how fast, the other nodes' VMs during and after
 * gateway-kill survivorHome port user password victimPid deadNode     kill -9 of a gateway under 16
 *                  clients on the survivor: its latency and errors before/after, then all its VMs
 * </pre>
 */
public final class ScaleOut {
    private static final byte[] GET = Envelopes.getComputerSystem();
    /** Threads asking endpoints at once in the sweeps (2 cores: more only queue). */
    private static final int SWEEPERS = 16;

    private ScaleOut() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "await" -> await(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4],
                    Integer.parseInt(args[5]), Long.parseLong(args[6]), args[7]);
            case "latency" -> latency(args[1], args[2], Integer.parseInt(args[3]), args[4], Integer.parseInt(args[5]),
                    List.of(args).subList(6, args.length));
            case "node-kill" -> nodeKill(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4],
                    Long.parseLong(args[5]), Integer.parseInt(args[6]));
            case "gateway-kill" -> gatewayKill(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4],
                    Long.parseLong(args[5]), Integer.parseInt(args[6]));
            default -> {
                System.err.println("usage: see the Javadoc of org.vamt.bench.ScaleOut");
                System.exit(2);
            }
        }
    }

    /** The gateway's endpoint map ({@code etc/vamt-endpoints.properties}): UUID (lower case) to address. */
    static Map<String, String> endpoints(Path home) throws IOException {
        Map<String, String> map = new TreeMap<>();
        Path file = home.resolve("etc/vamt-endpoints.properties");
        if (!Files.exists(file)) {
            return map;
        }
        Properties kept = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            kept.load(r);
        } catch (IllegalArgumentException halfWritten) {
            return map;   // read while the gateway rewrote it: the next look sees it whole
        }
        kept.stringPropertyNames().stream().filter(k -> k.indexOf('.') < 0)
                .forEach(k -> map.put(k.toLowerCase(Locale.ROOT), kept.getProperty(k).trim()));
        return map;
    }

    /** Whether the VM's UUID is one of node {@code node}'s ({@link TestDriverXml#uuid}). */
    static boolean onNode(String uuid, int node) {
        return uuid.startsWith(String.format("7a1d%04d-", node));
    }

    static int nodeOf(String uuid) {
        return Integer.parseInt(uuid.substring(4, 8));
    }

    /** What one Get on a fresh connection (Digest challenge included) gave. */
    enum Outcome { OK, FAULT, OTHER }

    /** One answer: its outcome, how long it took, when it came (System.nanoTime), what failed. */
    record Answer(Outcome outcome, long micros, long endNanos, String detail) {
    }

    static Answer getOnce(String address, int port, String user, String password) {
        long t0 = System.nanoTime();
        try (WsmanConnection c = new WsmanConnection(address, port, user, password)) {
            WsmanConnection.Response r = c.post(GET);
            long end = System.nanoTime();
            if (r.status() == 200) {
                return new Answer(Outcome.OK, (end - t0) / 1_000, end, "");
            }
            return new Answer(r.body().contains("EndpointUnavailable") ? Outcome.FAULT : Outcome.OTHER,
                    (end - t0) / 1_000, end, "HTTP " + r.status());
        } catch (IOException e) {
            long end = System.nanoTime();
            return new Answer(Outcome.OTHER, (end - t0) / 1_000, end, e.getClass().getSimpleName());
        }
    }

    /** Asks every address once, SWEEPERS at a time; the answers by address. */
    static Map<String, Answer> sweep(List<String> addresses, int port, String user, String password)
            throws InterruptedException {
        ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>(addresses);
        Map<String, Answer> answers = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < SWEEPERS; i++) {
            Thread t = new Thread(() -> {
                for (String a; (a = queue.poll()) != null; ) {
                    answers.put(a, getOnce(a, port, user, password));
                }
            }, "sweep-" + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return answers;
    }

    static String counts(Map<String, Answer> answers) {
        Map<String, Long> by = new TreeMap<>();
        Latencies l = new Latencies();
        answers.values().forEach(a -> {
            by.merge(a.outcome() + (a.detail().isEmpty() ? "" : " " + a.detail()), 1L, Long::sum);
            l.add(a.micros());
        });
        return by + "; request " + (l.count() == 0 ? "-" : l.summary());
    }

    private static void await(Path home, int port, String user, String password, int expected, long t0,
            String label) throws Exception {
        long timeout = Long.getLong("timeoutSeconds", 1800) * 1000;
        long firstAnswer = -1;
        long mapComplete = -1;
        java.util.Set<String> answered = new java.util.HashSet<>();
        Map<String, String> map = Map.of();
        // nanoTime of the epoch-millis t0, to place each answer's arrival
        long t0Nanos = System.nanoTime() - (System.currentTimeMillis() - t0) * 1_000_000;
        for (int round = 1; answered.size() < expected; round++) {
            if (System.currentTimeMillis() - t0 > timeout) {
                System.out.printf("%s: NOT all answering after %d s: %d of %d VMs in its endpoint map, %d answered%n",
                        label, timeout / 1000, map.size(), expected, answered.size());
                System.exit(1);
            }
            map = endpoints(home);
            if (mapComplete < 0 && map.size() >= expected) {
                mapComplete = System.currentTimeMillis() - t0;
            }
            List<String> ask = new ArrayList<>(map.values());
            ask.removeAll(answered);
            long roundStart = System.currentTimeMillis() - t0;
            Map<String, Answer> answers = sweep(ask, port, user, password);
            Map<String, Long> failures = new TreeMap<>();
            for (Map.Entry<String, Answer> e : answers.entrySet()) {
                Answer a = e.getValue();
                if (a.outcome() == Outcome.OK) {
                    answered.add(e.getKey());
                    long at = (a.endNanos() - t0Nanos) / 1_000_000;
                    firstAnswer = firstAnswer < 0 ? at : Math.min(firstAnswer, at);
                } else {
                    failures.merge(a.outcome() + " " + a.detail(), 1L, Long::sum);
                }
            }
            long answeredNow = ask.size() - failures.values().stream().mapToLong(Long::longValue).sum();
            // progress: long rounds, and every 30th of the short ones (a VM or two each while a gateway adds them)
            if (!ask.isEmpty() && (System.currentTimeMillis() - t0 - roundStart > 5_000 || round % 30 == 0)) {
                System.out.printf("%s round %d (%d-%d ms): %d in the endpoint map, asked %d, answered %d (%.0f asked/s, "
                        + "fresh connections), not yet: %s%n", label, round, roundStart,
                        System.currentTimeMillis() - t0, map.size(), ask.size(), answeredNow,
                        ask.size() * 1000.0 / Math.max(1, System.currentTimeMillis() - t0 - roundStart), failures);
            }
            if (answered.size() < expected) {
                Thread.sleep(2_000);   // reading a 10,000-VM map (1.5 MB) costs the gateways CPU too
            }
        }
        System.out.printf("%s: %d VMs; first Get answered %d ms, all in its endpoint map %d ms, all answering %d ms "
                + "after the first Karaf's start%n", label, answered.size(), firstAnswer, mapComplete,
                System.currentTimeMillis() - t0);
    }

    private static void latency(String user, String password, int requests, String levels, int rounds,
            List<String> targets) throws InterruptedException {
        for (String target : targets) {   // warm-up: JIT, connections, Digest sessions
            String[] hp = target.substring(target.indexOf('=') + 1).split(":");
            LoadRun.run(hp[0], Integer.parseInt(hp[1]), user, password, GET, requests / 5, 4);
        }
        for (int round = 1; round <= rounds; round++) {
            for (String level : levels.split(",")) {
                for (String target : targets) {
                    String label = target.substring(0, target.indexOf('='));
                    String[] hp = target.substring(target.indexOf('=') + 1).split(":");
                    int clients = Integer.parseInt(level);
                    // 16 clients: 4 times one client's requests, so that the run lasts a few seconds too
                    LoadRun.Result r = LoadRun.run(hp[0], Integer.parseInt(hp[1]), user, password, GET,
                            (long) requests * Math.max(1, clients / 4), clients);
                    System.out.printf("round %d %-11s %2s clients on %s: %s%n", round, label, level, hp[0], r);
                }
            }
        }
    }

    /** Keep-alive clients, each on one VM, until stopped; every answer is kept with its time. */
    static final class Load {
        record Sample(long atNanos, long micros, Outcome outcome) {
        }

        final List<String> addresses;
        final List<List<Sample>> samples = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();

        Load(List<String> addresses, int port, String user, String password) {
            this.addresses = addresses;
            for (String address : addresses) {
                List<Sample> mine = Collections.synchronizedList(new ArrayList<>());
                samples.add(mine);
                Thread t = new Thread(() -> {
                    WsmanConnection c = new WsmanConnection(address, port, user, password);
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        Outcome o;
                        try {
                            WsmanConnection.Response r = c.post(GET);
                            o = r.status() == 200 ? Outcome.OK
                                    : r.body().contains("EndpointUnavailable") ? Outcome.FAULT : Outcome.OTHER;
                        } catch (IOException e) {
                            o = Outcome.OTHER;
                            c = new WsmanConnection(address, port, user, password);
                        }
                        mine.add(new Sample(t0, (System.nanoTime() - t0) / 1_000, o));
                    }
                    c.close();
                }, "load-" + address);
                t.start();
                threads.add(t);
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }

        /** Latency and outcomes of the samples of client i (all when i < 0) in [from, to) nanos. */
        String summary(int client, long from, long to) {
            Latencies l = new Latencies();
            Map<Outcome, Long> by = new TreeMap<>();
            for (int i = 0; i < samples.size(); i++) {
                if (client >= 0 && i != client) {
                    continue;
                }
                synchronized (samples.get(i)) {
                    for (Sample s : samples.get(i)) {
                        if (s.atNanos() >= from && s.atNanos() < to) {
                            l.add(s.micros());
                            by.merge(s.outcome(), 1L, Long::sum);
                        }
                    }
                }
            }
            return by + (l.count() == 0 ? "" : ", " + l.summary());
        }

        /** Nanos after {@code from} of client i's first answer with that outcome, or -1. */
        long first(int client, Outcome outcome, long from) {
            synchronized (samples.get(client)) {
                return samples.get(client).stream().filter(s -> s.atNanos() >= from && s.outcome() == outcome)
                        .mapToLong(s -> s.atNanos() + s.micros() * 1_000 - from).min().orElse(-1);
            }
        }
    }

    /** One VM of every node (its lowest UUID), the first {@code max} nodes. */
    static List<String> onePerNode(Map<String, String> endpoints, int max, int skipNode) {
        Map<Integer, String> byNode = new TreeMap<>();
        endpoints.forEach((uuid, address) -> {
            if (nodeOf(uuid) != skipNode) {
                byNode.putIfAbsent(nodeOf(uuid), address);
            }
        });
        return byNode.values().stream().limit(max).toList();
    }

    private static void nodeKill(Path home, int port, String user, String password, long pid, int node)
            throws Exception {
        Map<String, String> all = endpoints(home);
        List<String> dead = new ArrayList<>();
        List<String> alive = new ArrayList<>();
        all.forEach((uuid, address) -> (onNode(uuid, node) ? dead : alive).add(address));
        // the load: one keep-alive client on a VM of each node (the killed one's first), 8 at most
        Map<String, String> deadFirst = new TreeMap<>();
        all.forEach((uuid, address) -> {
            if (onNode(uuid, node)) {
                deadFirst.put(uuid, address);
            }
        });
        List<String> loaded = new ArrayList<>(onePerNode(deadFirst, 1, -1));
        loaded.addAll(onePerNode(all, 7, node));
        System.out.printf("node-kill: node %d (pid %d) holds %d of the gateway's %d VMs; load: %d keep-alive clients, "
                + "one per VM %s (the first on the killed node)%n", node, pid, dead.size(), all.size(), loaded.size(),
                loaded);
        Load load = new Load(loaded, port, user, password);
        Thread.sleep(5_000);
        long killedAt = System.nanoTime();
        ProcessHandle node0 = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
        AtomicLong goneAfter = new AtomicLong(-1);
        node0.onExit().thenRun(() -> goneAfter.set(System.nanoTime() - killedAt));
        node0.destroyForcibly();
        // every VM of the killed node, again and again, until each has faulted
        Map<String, Long> faultedAfterMillis = new ConcurrentHashMap<>();
        Map<String, String> otherOutcomes = new ConcurrentHashMap<>();
        AtomicLong slowest = new AtomicLong();
        long deadline = killedAt + 120_000_000_000L;
        while (faultedAfterMillis.size() < dead.size() && System.nanoTime() < deadline) {
            List<String> ask = new ArrayList<>(dead);
            ask.removeAll(faultedAfterMillis.keySet());
            Map<String, Answer> round = sweep(ask, port, user, password);
            round.forEach((address, a) -> {
                slowest.accumulateAndGet(a.micros(), Math::max);
                if (a.outcome() == Outcome.FAULT) {
                    faultedAfterMillis.put(address, (a.endNanos() - killedAt) / 1_000_000);
                } else if (a.outcome() == Outcome.OTHER) {
                    otherOutcomes.merge(address, a.detail(), (x, y) -> x);
                }
            });
        }
        long allFaulted = (System.nanoTime() - killedAt) / 1_000_000;
        Latencies after = new Latencies();
        faultedAfterMillis.values().forEach(ms -> after.add(ms * 1_000));
        System.out.printf("node process seen gone (ProcessHandle.onExit, polled for a non-child: an upper bound) "
                + "%.1f ms after SIGKILL%n", goneAfter.get() / 1e6);
        System.out.printf("killed node's VMs: %d of %d answered wsman:EndpointUnavailable, all within %d ms of the "
                + "kill (per VM, from the kill to its first fault, %d sweepers asking one after the other: %s); "
                + "slowest single request %.1f ms; VMs with other answers meanwhile: %s%n", faultedAfterMillis.size(),
                dead.size(), allFaulted, SWEEPERS,
                after.count() == 0 ? "-" : after.summary(), slowest.get() / 1000.0, otherOutcomes.size());
        long killedClientFault = load.first(0, Outcome.FAULT, killedAt);
        System.out.printf("load client on the killed node's VM: first fault %.1f ms after the kill%n",
                killedClientFault / 1e6);
        Map<String, Answer> others = sweep(alive, port, user, password);
        System.out.printf("the other nodes' VMs, each asked once after that: %s%n", counts(others));
        long sweptAt = System.nanoTime();
        Thread.sleep(10_000);   // ZooKeeper expires the node's session (zookeeper.timeout 4 s) and the import goes
        Map<String, Answer> deadLater = sweep(dead, port, user, password);
        System.out.printf("killed node's VMs %d s after the kill (its import dropped): %s%n",
                (System.nanoTime() - killedAt) / 1_000_000_000L, counts(deadLater));
        load.stop();
        for (int i = 0; i < loaded.size(); i++) {
            System.out.printf("load client %d (%s, node %s): before the kill %s; after %s%n", i, loaded.get(i),
                    i == 0 ? node + ", killed" : "alive", load.summary(i, 0, killedAt),
                    load.summary(i, killedAt, Long.MAX_VALUE));
        }
        System.out.printf("load clients on live nodes, from the kill until the sweeps were over: %s%n",
                liveSummary(load, killedAt, sweptAt));
    }

    private static String liveSummary(Load load, long from, long to) {
        Latencies l = new Latencies();
        Map<Outcome, Long> by = new TreeMap<>();
        for (int i = 1; i < load.samples.size(); i++) {
            synchronized (load.samples.get(i)) {
                for (Load.Sample s : load.samples.get(i)) {
                    if (s.atNanos() >= from && s.atNanos() < to) {
                        l.add(s.micros());
                        by.merge(s.outcome(), 1L, Long::sum);
                    }
                }
            }
        }
        return by + (l.count() == 0 ? "" : ", " + l.summary());
    }

    private static void gatewayKill(Path home, int port, String user, String password, long pid, int deadNode)
            throws Exception {
        Map<String, String> all = endpoints(home);
        List<String> live = new ArrayList<>();
        all.forEach((uuid, address) -> {
            if (nodeOf(uuid) != deadNode) {
                live.add(address);
            }
        });
        // 16 keep-alive clients on the survivor, spread over the live nodes' VMs
        List<String> loaded = new ArrayList<>();
        for (int i = 0; i < 16 && !live.isEmpty(); i++) {
            loaded.add(live.get((int) ((long) i * live.size() / 16)));
        }
        Load load = new Load(loaded, port, user, password);
        Thread.sleep(10_000);
        long killedAt = System.nanoTime();
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid)).destroyForcibly();
        Thread.sleep(20_000);
        long end = System.nanoTime();
        load.stop();
        System.out.printf("gateway-kill: the other gateway (pid %d) killed; 16 keep-alive clients on the survivor, "
                + "%d VMs of live nodes%n", pid, loaded.size());
        System.out.printf("survivor, 10 s before the kill: %s%n", load.summary(-1, killedAt - 10_000_000_000L, killedAt));
        System.out.printf("survivor, 20 s after the kill:  %s%n", load.summary(-1, killedAt, end));
        Map<String, Answer> sweep = sweep(live, port, user, password);
        System.out.printf("survivor, every VM of the live nodes asked once after that (%d VMs): %s%n", live.size(),
                counts(sweep));
    }
}
