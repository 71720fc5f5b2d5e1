package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.endpoints.internal.RawHttp.connect;
import static org.vamt.endpoints.internal.RawHttp.post;
import static org.vamt.endpoints.internal.RawHttp.read;
import static org.vamt.endpoints.internal.RawHttp.send;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.security.digest.DigestSession;

/**
 * Issue 17's acceptance for defect 2, over a real Jetty with the default limits of
 * {@code org.vamt.wsman}: 500 connections from one address and 500 from 250 others (two each)
 * send their headers and then drip a body, or drip the headers themselves, one byte per
 * connection every 500 ms, and reopen whatever the server closes. Throughout, an authenticated
 * client's request is answered, on its kept connection and on a new connection opened during the
 * attack: almost always within 1 s, never in {@link #STARVED_MILLIS} (a starved server answers only
 * once the attackers' connections time out, 10 s and more). The 1 s target is a speed claim and
 * lives in docs/benchmarks.md; on 2 busy cores a rare answer misses it by a few milliseconds; and the server holds a bounded number of the attacker's connections, so the
 * test (client and server in one process) stays far below the usual limit of 1,024 open files
 * instead of needing a raised one.
 */
class SlowClientAttackTest {
    static final int PER_GROUP = 500;
    static final long ATTACK_MILLIS = 12_000;
    /** Less than the shortest time after which the server frees an attacker's slot on its own (10 s). */
    static final long STARVED_MILLIS = 5_000;
    /** The share of answers that may take over 1 s: scheduling noise, not starvation. */
    static final double LATE_SHARE = 0.02;
    /** The usual soft limit of open files (attacker, client and server share this process). */
    static final long MAX_OPEN_FILES = 1024;
    /** maxUnauthenticatedConnections (256), plus one source's worth (32) refused or evicted but not yet closed. */
    static final long MAX_SERVER_CONNECTIONS = 256 + 32;

    TestTransport transport;
    int port;
    final AtomicBoolean attacking = new AtomicBoolean(true);
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger mostOpen = new AtomicInteger();
    final AtomicLong mostFiles = new AtomicLong();
    final AtomicLong mostServerConnections = new AtomicLong();
    final List<String> attackerErrors = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        port = RawHttp.freePort();
        // the defaults of the configuration (EndpointServer.Config)
        transport = DoorLimits.transport(RawHttp.security(), 64, 60_000, 10_000, 30_000, 32, 256)
                .machine(RawHttp.VM, "desktop-01").serve(RawHttp.OK, "/echo").listen(port);
    }

    @AfterEach
    void stop() {
        attacking.set(false);
        transport.close();
    }

    /**
     * The server's side of its connections, from the kernel's table (so the same count for any
     * server code): sockets on the listening port that are established, or closed by the client
     * and not yet by the server — each holds a file and Jetty's state.
     */
    private long serverConnections() {
        String local = String.format(":%04X ", port);
        long n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && (f[1] + " ").endsWith(local) && (f[3].equals("01") || f[3].equals("08"))) {
                        n++;
                    }
                }
            } catch (IOException noTable) {
                // no IPv6 on this machine
            }
        }
        return n;
    }

    private static long openFiles() {
        return ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getOpenFileDescriptorCount();
    }

    /** One attacking connection: a source address and what it drips after its opening bytes. */
    private static final class Slot {
        final String source;
        final int kind;
        SocketChannel channel;
        int dripped;

        Slot(String source, int kind) {
            this.source = source;
            this.kind = kind;
        }

        String opening() {
            return switch (kind) {
                // a body small enough to be an Identify, which the door would read without credentials
                case 0 -> "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789";
                // a large body
                case 1 -> "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n0123456789";
                // headers that never end
                default -> "POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ";
            };
        }
    }

    /**
     * The attacker: keeps up to 1,000 connections open (at most 200 new ones per 50 ms), drips one
     * byte into each every 500 ms, and replaces every connection the server closes.
     */
    private void attack() {
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < PER_GROUP; i++) {
            slots.add(new Slot("127.0.0.1", i % 3));
            slots.add(new Slot("127.0.0." + (2 + i / 2), i % 3));   // 127.0.0.2 … 127.0.0.251, two each
        }
        ByteBuffer scratch = ByteBuffer.allocate(4096);
        ByteBuffer drop = ByteBuffer.wrap(new byte[] {'a'});
        long nextDrip = System.nanoTime();
        try {
            while (attacking.get()) {
                int opened = 0;
                int open = 0;
                boolean drip = System.nanoTime() - nextDrip >= 0;
                if (drip) {
                    nextDrip = System.nanoTime() + 500_000_000L;
                }
                for (Slot s : slots) {
                    if (s.channel != null) {
                        try {
                            scratch.clear();
                            if (s.channel.read(scratch) < 0) {
                                throw new IOException("closed by the server");
                            }
                            if (drip) {
                                drop.rewind();
                                s.channel.write(drop);
                                s.dripped++;
                            }
                        } catch (IOException closed) {
                            closeQuietly(s.channel);
                            s.channel = null;
                        }
                    }
                    if (s.channel == null && opened < 200) {
                        opened++;
                        attempts.incrementAndGet();
                        try {
                            SocketChannel c = SocketChannel.open();
                            c.bind(new InetSocketAddress(InetAddress.getByName(s.source), 0));
                            c.socket().connect(new InetSocketAddress(RawHttp.TARGET, port), 1_000);
                            c.write(ByteBuffer.wrap(s.opening().getBytes(StandardCharsets.ISO_8859_1)));
                            c.configureBlocking(false);
                            s.channel = c;
                            s.dripped = 0;
                        } catch (IOException refused) {
                            // the server is entitled to refuse; try again next round
                        }
                    }
                    if (s.channel != null) {
                        open++;
                    }
                }
                mostOpen.accumulateAndGet(open, Math::max);
                mostFiles.accumulateAndGet(openFiles(), Math::max);
                mostServerConnections.accumulateAndGet(serverConnections(), Math::max);
                Thread.sleep(50);   // the attacker's pace
            }
        } catch (InterruptedException | RuntimeException e) {
            synchronized (attackerErrors) {
                attackerErrors.add(e.toString());
            }
        } finally {
            slots.forEach(s -> closeQuietly(s.channel));
        }
    }

    private static void closeQuietly(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Test
    void anAuthenticatedClientIsAnsweredPromptlyThroughoutTheAttack() throws Exception {
        DigestSession digest = RawHttp.session(port);
        Socket kept = connect("127.0.0.254", port, 5_000);
        send(kept, post(digest, "before"));
        assertEquals(200, read(kept).status());

        Thread attacker = new Thread(this::attack, "attacker");
        attacker.setDaemon(true);
        attacker.start();
        List<String> failed = new ArrayList<>();
        List<String> late = new ArrayList<>();
        int requests = 0;
        long worst = 0;
        try {
            long end = System.nanoTime() + ATTACK_MILLIS * 1_000_000;
            while (System.nanoTime() < end) {
                // the kept connection
                long t0 = System.nanoTime();
                send(kept, post(digest, "kept"));
                RawHttp.Response r = read(kept);
                long keptMillis = (System.nanoTime() - t0) / 1_000_000;
                // a new connection, opened during the attack
                long t1 = System.nanoTime();
                RawHttp.Response fresh;
                try (Socket s = connect("127.0.0.253", port, 5_000)) {
                    send(s, post(digest, "new"));
                    fresh = read(s);
                }
                long freshMillis = (System.nanoTime() - t1) / 1_000_000;
                requests += 2;
                worst = Math.max(worst, Math.max(keptMillis, freshMillis));
                String at = "at " + (ATTACK_MILLIS - (end - System.nanoTime()) / 1_000_000) + " ms: kept "
                        + r.status() + " in " + keptMillis + " ms, new " + fresh.status() + " in "
                        + freshMillis + " ms";
                if (r.status() != 200 || fresh.status() != 200
                        || keptMillis >= STARVED_MILLIS || freshMillis >= STARVED_MILLIS) {
                    failed.add(at);
                } else if (keptMillis >= 1_000 || freshMillis >= 1_000) {
                    late.add(at);
                }
                mostFiles.accumulateAndGet(openFiles(), Math::max);
                mostServerConnections.accumulateAndGet(serverConnections(), Math::max);
                Thread.sleep(100);   // a console polling, not a wait for a condition
            }
        } finally {
            attacking.set(false);
            attacker.join(10_000);
            kept.close();
        }
        String summary = requests + " authenticated requests, worst " + worst + " ms, over 1 s: " + late
                + "; attacker: "
                + attempts.get() + " connections opened, at most " + mostOpen.get() + " open at once; at most "
                + mostFiles.get() + " files open in this process, " + mostServerConnections.get()
                + " connections held by the server; " + DoorLimits.counters(transport);
        System.out.println("Attack: " + summary);
        assertTrue(attackerErrors.isEmpty(), attackerErrors.toString());
        assertTrue(attempts.get() >= 2 * PER_GROUP, "the attack really ran: " + summary);
        assertTrue(failed.isEmpty(), "answers not 200 or starved: " + failed + "; " + summary);
        assertTrue(late.size() <= LATE_SHARE * requests, "almost every answer within 1 s: " + summary);
        assertTrue(mostServerConnections.get() <= MAX_SERVER_CONNECTIONS,
                "the server bounds what the attack holds: " + summary);
        assertTrue(mostFiles.get() < MAX_OPEN_FILES, "no raised limit of open files needed: " + summary);
    }
}
