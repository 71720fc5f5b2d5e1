package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Test;

/**
 * Issue 21, "a hung hypervisor call under 16 clients": vAMT ({@code bin/karaf}) on a libvirtd of
 * the test's own (started as {@code nobody} with its own socket directory, serving the demo VMs on
 * libvirt's test driver through {@code test+unix://}), 16 keep-alive Digest clients enumerating
 * CIM_AssociatedPowerManagementService (a libvirt call per request) with {@code OperationTimeout}
 * PT2S. The libvirtd is stopped with SIGSTOP for {@code vamt.hangSeconds} (30 by default: longer than
 * libvirt's client keepalive with its former settings, 5 s x (3 + 1), took to close the connection
 * under the waiting calls, which crashed the JVM in libvirt 9.0's client; the {@code hang} stage of
 * {@code benchmarks/run-all.sh} holds it 60 s), then continued. While it is
 * stopped every answer is {@code wsman:TimedOut}, none later than the operation timeout plus 1 s;
 * the JVM's thread count stays under its count before the hang + the {@value #CALL_THREADS} call
 * threads allowed here + one Jetty thread per client + the probe + {@value #SLACK_THREADS} (calls take
 * call threads only until a call overran its deadline and libvirtd left the probe that sends unanswered
 * for 2 s; from then on further calls are refused at once); within 2 s
 * of SIGCONT the clients are answered again, every request sent from then on succeeds, and the Karaf
 * JVM is still the one started (no crash, no restart by {@code bin/karaf}), its libvirt connection never
 * closed (the crash happened there), the frozen libvirtd and its return logged. Own
 * ports, below the ephemeral range (no client socket holds them): 29992/29993, 29181, 29101, 29199, 29444.
 */
public class HungHypervisorIT {
    static final int PORT = 29992;
    static final int CLIENTS = 16;
    static final int CALL_THREADS = 32;
    /** Threads the JVM may start besides those bounded here (a timer, a GC or compiler thread, a log flush). */
    static final int SLACK_THREADS = 12;
    static final long OPERATION_TIMEOUT_MS = 2_000;
    static final String[] VMS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};

    Process karaf;
    Process libvirtd;

    @After
    public void stopWhatIsLeft() throws Exception {
        if (libvirtd != null) {
            signal(libvirtd.pid(), "CONT");
            libvirtd.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
    }

    /** One answer a client got: when it was sent and answered (ms since the test's epoch), and what it was. */
    record Answer(long sentMs, long answeredMs, int status, boolean timedOut, String body) {
    }

    @Test
    public void aStoppedLibvirtdGivesTimedOutBoundedThreadsAndRecoversWithinTwoSeconds() throws Exception {
        int hangSeconds = Integer.getInteger("vamt.hangSeconds", 30);
        Path home = RestartIT.freshCopyOfTheDistribution("hung-hypervisor", PORT, PORT + 1, 29181, 29101, 29199,
                29444);
        Path socket = startPrivateLibvirtd(home.resolveSibling("libvirtd"), home.resolve("etc/vamt-demo-vms.xml"));
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "uri",
                "test+unix://" + socket.getParent().resolveSibling("vms.xml") + "?socket=" + socket);
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "maxCallThreads",
                String.valueOf(CALL_THREADS));
        karaf = RestartIT.startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD));
        long pid = karaf.descendants().filter(h -> h.info().arguments().map(a -> List.of(a)
                .contains("org.apache.karaf.main.Main")).orElse(false)).findFirst().orElseThrow(() ->
                new AssertionError("no Karaf JVM below bin/karaf")).pid();
        String request = powerEnumeration();
        for (String vm : VMS) {
            HttpResponse<String> first = RestartIT.untilAnswered(new WsmanClient(vm, PORT), request);
            assertEquals(first.body(), 200, first.statusCode());
        }

        long epoch = System.nanoTime();
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            String vm = VMS[c % VMS.length];
            clients.add(pool.submit(() -> {
                WsmanClient client = new WsmanClient(vm, PORT);
                while (running.get()) {
                    long sent = sinceMs(epoch);
                    try {
                        HttpResponse<String> r = client.post(request);
                        answers.add(new Answer(sent, sinceMs(epoch), r.statusCode(),
                                r.body().contains("TimedOut"), r.body()));
                    } catch (IOException e) {
                        answers.add(new Answer(sent, sinceMs(epoch), -1, false, e.toString()));
                    }
                }
                return null;
            }));
        }
        // every client under way (several answers each) before the hang, so its thread count is the steady one
        long warm = System.currentTimeMillis() + 30_000;
        while (answers.stream().filter(a -> a.status() == 200).count() < 4L * CLIENTS) {
            assertTrue("the clients got fewer than " + 4 * CLIENTS + " answers in 30 s: " + answers.size(),
                    System.currentTimeMillis() < warm);
            Thread.sleep(20);
        }
        int threadsBefore = threads(pid, home);
        long stoppedMs = sinceMs(epoch);
        signal(libvirtd.pid(), "STOP");
        int maxThreads = threadsBefore;
        while (sinceMs(epoch) < stoppedMs + hangSeconds * 1000L) {
            maxThreads = Math.max(maxThreads, threads(pid, home));
            Thread.sleep(200);
        }
        long continuedMs = sinceMs(epoch);
        signal(libvirtd.pid(), "CONT");
        while (sinceMs(epoch) < continuedMs + 5_000) {
            maxThreads = Math.max(maxThreads, threads(pid, home));
            Thread.sleep(200);
        }
        int threadsAfter = threads(pid, home);
        running.set(false);
        for (Future<?> f : clients) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<Answer> before = new ArrayList<>();
        List<Answer> during = new ArrayList<>();
        List<Answer> after = new ArrayList<>();
        for (Answer a : answers) {
            if (a.answeredMs() < stoppedMs) {
                before.add(a);
            } else if (a.sentMs() > stoppedMs + 100 && a.answeredMs() < continuedMs) {
                during.add(a);
            } else if (a.sentMs() >= continuedMs + 2_000) {
                after.add(a);
            }
        }
        long firstAnsweredAfter = answers.stream().filter(a -> a.sentMs() >= continuedMs && a.status() == 200)
                .mapToLong(Answer::answeredMs).min().orElse(Long.MAX_VALUE) - continuedMs;
        long slowest = during.stream().mapToLong(a -> a.answeredMs() - a.sentMs()).max().orElse(-1);
        long timedOut = during.stream().filter(a -> a.status() == 400 && a.timedOut()).count();
        int bound = threadsBefore + CALL_THREADS + CLIENTS + 1 + SLACK_THREADS;
        System.out.printf("HungHypervisorIT: libvirtd stopped %d s under %d clients: %d answers before, %d during "
                        + "(%d wsman:TimedOut, slowest %d ms), %d from 2 s after SIGCONT (%d OK); first OK %d ms after "
                        + "SIGCONT; JVM threads %d before, at most %d (bound %d), %d 5 s after SIGCONT%n",
                hangSeconds, CLIENTS, before.size(), during.size(), timedOut, slowest, after.size(),
                after.stream().filter(a -> a.status() == 200).count(), firstAnsweredAfter, threadsBefore, maxThreads,
                bound, threadsAfter);

        assertTrue("the Karaf JVM (pid " + pid + ") survived the hang", ProcessHandle.of(pid)
                .map(ProcessHandle::isAlive).orElse(false));
        // libvirt 9.0's client crashes the JVM when a connection is closed under several waiting calls (not
        // every time: it survived some 30 s hangs with its keepalive closing the connection); so it must stay open
        String log = Files.readString(home.resolve("data/log/karaf.log"));
        assertFalse("the libvirt connection was never closed under the waiting calls: "
                + logLines(log, "Dropping libvirt connection"), log.contains("Dropping libvirt connection"));
        assertTrue("the frozen libvirtd is logged", log.contains("nor a probe in") && log.contains("refusing further calls"));
        assertTrue("and its return", log.contains("answered again") && log.contains("accepting calls"));
        assertTrue("answers before the hang", before.size() > CLIENTS);
        assertTrue("all OK before the hang: " + notOk(before), before.stream().allMatch(a -> a.status() == 200));
        assertTrue("answers while libvirtd is stopped", during.size() >= CLIENTS);
        assertEquals("every answer while libvirtd is stopped is wsman:TimedOut: " + notTimedOut(during),
                during.size(), timedOut);
        assertTrue("none later than the operation timeout + 1 s: " + slowest + " ms",
                slowest <= OPERATION_TIMEOUT_MS + 1_000);
        assertTrue("JVM threads stay bounded: at most " + maxThreads + ", bound " + bound, maxThreads <= bound);
        assertTrue("answered again within 2 s of SIGCONT: " + firstAnsweredAfter + " ms", firstAnsweredAfter <= 2_000);
        assertTrue("requests from 2 s after SIGCONT on", after.size() > CLIENTS);
        assertTrue("all OK from 2 s after SIGCONT on: " + notOk(after), after.stream().allMatch(a -> a.status() == 200));
    }

    private static long sinceMs(long epoch) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - epoch);
    }

    private static List<String> logLines(String log, String containing) {
        return log.lines().filter(l -> l.contains(containing)).limit(3).toList();
    }

    private static String notOk(List<Answer> answers) {
        return answers.stream().filter(a -> a.status() != 200).limit(3).map(Answer::toString).toList().toString();
    }

    private static String notTimedOut(List<Answer> answers) {
        return answers.stream().filter(a -> !a.timedOut()).limit(3).map(Answer::toString).toList().toString();
    }

    /** The optimized enumeration of the VM's power association (its state read from libvirt), PT2S. */
    static String powerEnumeration() {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + WsmanClient.CIM + "CIM_AssociatedPowerManagementService</w:ResourceURI>"
                + "<a:MessageID>uuid:1</a:MessageID><w:OperationTimeout>PT" + OPERATION_TIMEOUT_MS / 1000
                + "S</w:OperationTimeout></s:Header><s:Body><n:Enumerate><w:OptimizeEnumeration/>"
                + "<w:MaxElements>10</w:MaxElements></n:Enumerate></s:Body></s:Envelope>";
    }

    /** A libvirtd of this test's own ({@link PrivateLibvirtd}); its socket. */
    Path startPrivateLibvirtd(Path dir, Path vms) throws Exception {
        PrivateLibvirtd started = PrivateLibvirtd.start(dir, vms);
        libvirtd = started.process();
        return started.socket();
    }

    /** The JVM's thread count; fails at once, naming its crash report, once the JVM is gone. */
    static int threads(long pid, Path home) throws IOException {
        Path status = Path.of("/proc", String.valueOf(pid), "status");
        if (!Files.exists(status)) {
            Path crash = home.resolve("hs_err_pid" + pid + ".log");
            throw new AssertionError("the Karaf JVM (pid " + pid + ") is gone" + (Files.exists(crash)
                    ? ": it crashed, " + crash + ": " + Files.readAllLines(crash).stream()
                    .filter(l -> l.startsWith("# C ") || l.startsWith("# Problematic frame") || l.startsWith("C  ["))
                    .limit(4).toList() : ""));
        }
        for (String l : Files.readAllLines(status)) {
            if (l.startsWith("Threads:")) {
                return Integer.parseInt(l.substring(8).trim());
            }
        }
        throw new IllegalStateException("no Threads in /proc/" + pid + "/status");
    }

    static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).redirectErrorStream(true).start();
        assertTrue("kill -" + signal + " " + pid, kill.waitFor(10, TimeUnit.SECONDS));
    }
}
