package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.OperationDeadline;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent.Type;
import org.vamt.hypervisor.MachineState;

/**
 * Reconnect against a real libvirtd (its test driver, over a private UNIX socket): daemon killed
 * and restarted, daemon frozen (libvirt's keepalive; calls of operations past their deadline). Runs in every build (./vamt test installs the daemon);
 * point it elsewhere with {@code -Dvamt.test.libvirtd=...} (Debian package libvirt-daemon; run as
 * root: the daemon runs as nobody in session mode, so it needs no libvirt-qemu user).
 */
@EnabledIfSystemProperty(named = "vamt.test.libvirtd", matches = ".+")
class LibvirtdReconnectTest {
    /** The one domain of libvirt's built-in test:///default. */
    static final String TEST = "6695eb01-f6a4-8304-79aa-97f2502e193f";

    private Path dir;
    private Process daemon;
    private LibvirtHypervisor hv;
    private TestSupport.Recorder events;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("vamt-libvirtd");
        for (String sub : List.of("sock", "home", "run")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Files.writeString(dir.resolve("libvirtd.conf"), "unix_sock_dir = \"" + dir.resolve("sock")
                + "\"\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n");
        exec("chown", "-R", "65534:65534", dir.toString());
        startDaemon();
        activate(1);
    }

    /** A new component on the daemon; {@code keepaliveInterval} s x 2 unanswered keepalives, or none when <= 0. */
    private void activate(int keepaliveInterval) throws Exception {
        activate(keepaliveInterval, 0);   // no heartbeat: the tests count the calls they make themselves
    }

    private void activate(int keepaliveInterval, int heartbeatSeconds) throws Exception {
        hv = new LibvirtHypervisor();
        events = new TestSupport.Recorder();
        hv.addMachineListener(events);
        hv.activate(TestSupport.config(Map.of(
                "uri", "test+unix:///default?socket=" + dir.resolve("sock/libvirt-sock"),
                "keepaliveInterval", keepaliveInterval, "keepaliveCount", 2,
                "connectTimeoutMs", 3000L, "reconnectIntervalMs", 300L, "heartbeatSeconds", heartbeatSeconds)));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (hv != null) {
            hv.deactivate();
        }
        stopDaemon();
        exec("rm", "-rf", dir.toString());
    }

    @Test
    void daemonRestartIsUnavailableThenReconnectsWithEvents() throws Exception {
        hv.powerOff(TEST);
        events.await(TEST, Type.STOPPED);

        stopDaemon();
        // the close callback (or the next call) notices; while the daemon is down: UNAVAILABLE, fast
        long t0 = System.nanoTime();
        assertEquals(Reason.UNAVAILABLE, reason(() -> hv.listMachines()));
        assertEquals(Reason.UNAVAILABLE, reason(() -> hv.powerOn(TEST)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));

        startDaemon();
        waitForMachines();
        // a new daemon = a new test hypervisor: the domain runs again
        assertEquals(MachineState.RUNNING, hv.machine(TEST).orElseThrow().state());
        events.await(TEST, Type.OTHER);   // "state may have changed" after the reconnect
        hv.powerOff(TEST);
        events.await(TEST, Type.STOPPED);  // lifecycle callback re-registered on the new connection
    }

    @Test
    void frozenDaemonDoesNotHangCallsForever() throws Exception {
        assertEquals(MachineState.RUNNING, hv.machine(TEST).orElseThrow().state());
        exec("kill", "-STOP", Long.toString(daemon.pid()));
        try {
            long t0 = System.nanoTime();
            CompletableFuture<Reason> r = CompletableFuture.supplyAsync(() -> reason(() -> hv.listMachines()));
            // keepalive 1 s x 2: libvirt closes the connection after about 3 s
            assertEquals(Reason.UNAVAILABLE, r.get(20, TimeUnit.SECONDS));
            System.out.printf("frozen daemon: call failed after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } finally {
            exec("kill", "-CONT", Long.toString(daemon.pid()));
        }
        waitForMachines();
        hv.powerOff(TEST);
        events.await(TEST, Type.STOPPED);
    }

    @Test
    void theHeartbeatFindsAFrozenDaemonWithoutAnyCallOfAClientAndSeesItAnswerAgain() throws Exception {
        hv.deactivate();
        activate(0, 1);
        waitForMachines();
        assertEquals(Hypervisor.Reachability.REACHABLE, hv.reachability());
        exec("kill", "-STOP", Long.toString(daemon.pid()));
        try {
            // heartbeat 1 s + its deadline 2 s + the probe's 2 s, with room for a loaded machine
            awaitReachability(Hypervisor.Reachability.NOT_ANSWERING, 15);
        } finally {
            exec("kill", "-CONT", Long.toString(daemon.pid()));
        }
        awaitReachability(Hypervisor.Reachability.REACHABLE, 10);
        assertTrue(hv.machine(TEST).isPresent(), "answered again");
    }

    private void awaitReachability(Hypervisor.Reachability wanted, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (hv.reachability() != wanted) {
            assertTrue(System.nanoTime() < deadline, "reachability " + wanted + " within " + seconds + " s; it is "
                    + hv.reachability());
            Thread.sleep(20);
        }
    }

    @Test
    void aCallPastItsDeadlineOnAFrozenDaemonRefusesFurtherCallsAtOnceUntilTheDaemonAnswers() throws Exception {
        hv.deactivate();
        activate(0);   // the default: no keepalive, nothing closes the connection under the waiting call
        waitForMachines();
        long generation = hv.connection().generation();
        exec("kill", "-STOP", Long.toString(daemon.pid()));
        try {
            OperationDeadline.Outcome<?> first = OperationDeadline.run(300, () -> hv.listMachines());
            assertTrue(first.expired(), "the first call gives up at its deadline: " + first);
            assertEquals(Reason.UNAVAILABLE, ((HypervisorException) first.failure()).reason());
            assertEquals(1, hv.connection().overdueCalls());
            long probeDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LibvirtConnection.PROBE_TIMEOUT_MS + 3_000);
            while (!hv.connection().frozen()) {
                assertTrue(System.nanoTime() < probeDeadline, "frozen once the probe went unanswered");
                Thread.sleep(10);
            }

            long t0 = System.nanoTime();
            OperationDeadline.Outcome<?> next = OperationDeadline.run(10_000, () -> hv.machine(TEST));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(next.expired(), "the next call is refused: " + next);
            assertEquals(Reason.UNAVAILABLE, ((HypervisorException) next.failure()).reason());
            assertTrue(tookMs < 1_000, "refused at once, not at its 10 s deadline: " + tookMs + " ms");
            assertEquals(1, hv.connection().overdueCalls(), "a refused call is not counted");
            assertEquals(1, hv.connection().callThreadsHeld(), "a refused call holds no thread (the probe has its own)");
        } finally {
            exec("kill", "-CONT", Long.toString(daemon.pid()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (hv.connection().overdueCalls() > 0 || hv.connection().frozen()) {
            assertTrue(System.nanoTime() < deadline, "the overdue call returned within 2 s of SIGCONT");
            Thread.sleep(10);
        }
        OperationDeadline.Outcome<?> after = OperationDeadline.run(10_000, () -> hv.machine(TEST));
        assertTrue(after.failure() == null && !after.expired(), "answered again: " + after);
        assertEquals(generation, hv.connection().generation(), "the same connection, never closed under the call");
    }

    private void waitForMachines() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        HypervisorException last = null;
        while (System.nanoTime() < deadline) {
            try {
                hv.listMachines();
                return;
            } catch (HypervisorException e) {
                assertEquals(Reason.UNAVAILABLE, e.reason());
                last = e;
                Thread.sleep(200);
            }
        }
        fail("no reconnect within 20 s: " + last);
    }

    private interface Op {
        void run() throws HypervisorException;
    }

    private static Reason reason(Op op) {
        try {
            op.run();
            return null;
        } catch (HypervisorException e) {
            return e.reason();
        }
    }

    private void startDaemon() throws IOException, InterruptedException {
        Path sock = dir.resolve("sock/libvirt-sock");
        Files.deleteIfExists(sock);
        daemon = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env",
                "HOME=" + dir.resolve("home"), "XDG_RUNTIME_DIR=" + dir.resolve("run"),
                "XDG_CONFIG_HOME=" + dir.resolve("home/.config"), "XDG_CACHE_HOME=" + dir.resolve("home/.cache"),
                System.getProperty("vamt.test.libvirtd"), "-f", dir.resolve("libvirtd.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("libvirtd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!Files.exists(sock)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                fail("libvirtd did not start: " + Files.readString(dir.resolve("libvirtd.log")));
            }
            Thread.sleep(50);
        }
    }

    private void stopDaemon() throws InterruptedException {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();   // SIGTERM to the libvirtd we started (setpriv and env exec it)
            if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }
}
