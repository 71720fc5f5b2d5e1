package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.After;
import org.junit.Test;

/**
 * Issue 17 acceptance, "the heap bound holds under a 5-minute 64-client load": the distribution
 * started by {@code bin/karaf} with {@code JAVA_MAX_MEM=256M}, 64 keep-alive Digest clients over
 * the four demo VMs sending Get, Enumerate, Identify and bad requests (malformed envelopes, wrong
 * passwords) for {@code vamt.heapLoadSeconds} (300 by default). The JVM's resident set, sampled
 * every second from /proc, stays under the heap bound plus the non-heap allowance of
 * {@code bin/setenv} (metaspace, code cache, thread stacks, direct buffers: see docs/security.md),
 * and vAMT still answers at the end. Own ports (45992/45993, 45181, 45101, 45199, 45444).
 */
public class HeapBoundIT {
    static final int PORT = 45992;
    static final String HEAP = "256M";
    static final long HEAP_MIB = 256;
    /** What the JVM may hold besides the heap; docs/security.md explains the figure. */
    static final long NON_HEAP_ALLOWANCE_MIB = 320;
    static final String[] VMS = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
    static final String CIM = WsmanClient.CIM;

    Process karaf;

    @After
    public void killWhatIsLeft() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
    }

    static long rssKib(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.substring(6).replace("kB", "").trim());
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /** The JVM's own view of its heap ("used" of GC.heap_info), in KiB; -1 when jcmd cannot tell. */
    static long heapUsedKib(long pid) {
        try {
            Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(20, TimeUnit.SECONDS);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    public void theHeapBoundHoldsUnderSixtyFourClients() throws Exception {
        int seconds = Integer.getInteger("vamt.heapLoadSeconds", 300);
        Path home = RestartIT.freshCopyOfTheDistribution("heap", PORT, PORT + 1, 45181, 45101, 45199, 45444);
        // native memory tracking (summary: a few MiB) shows where the non-heap part goes
        karaf = RestartIT.startKaraf(home, PORT, Map.of("JAVA_MAX_MEM", HEAP,
                "VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD, "EXTRA_JAVA_OPTS", "-XX:NativeMemoryTracking=summary"));
        ProcessHandle jvm = karaf.descendants().filter(h -> h.info().arguments().map(a -> List.of(a)
                .contains("-Xmx" + HEAP)).orElse(false)).findFirst().orElseThrow(() ->
                new AssertionError("no JVM with -Xmx" + HEAP + " below bin/karaf"));
        long pid = jvm.pid();
        String software = CIM + "CIM_SoftwareIdentity";
        RestartIT.untilAnswered(new WsmanClient(VMS[0], PORT), WsmanClient.envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", software, ""));
        long rssAtStart = rssKib(pid);

        AtomicLong ok = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            int id = c;
            clients.add(pool.submit(() -> {
                String vm = VMS[id % VMS.length];
                WsmanClient admin = new WsmanClient(vm, PORT);
                // a name no user has: a wrong admin password would lock the admin out from this address
                WsmanClient wrong = new WsmanClient(vm, PORT, "ghost-" + id, "Not-the-Passw0rd");
                for (long i = 0; System.nanoTime() < end; i++) {
                    HttpResponse<String> r;
                    try {
                        switch ((int) ((i + id) % 10)) {
                            case 0, 1, 2, 3 -> r = admin.post(admin.get(software,
                                    "<w:Selector Name=\"InstanceID\">AMT</w:Selector>"));
                            case 4, 5 -> r = admin.post(admin.enumerateAll(software));
                            case 6 -> r = admin.send(WsmanClient.identify(), null);
                            case 7 -> r = admin.post("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
                                    + "<s:Body><broken");
                            case 8 -> r = admin.post(admin.get(CIM + "CIM_NoSuchClass", null));
                            default -> r = wrong.post(WsmanClient.identify().replace("Identify", "Nothing"));
                        }
                    } catch (java.io.IOException e) {
                        failed.incrementAndGet();
                        continue;
                    }
                    if (r.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else if (r.statusCode() == 400 || r.statusCode() == 401 || r.statusCode() == 503) {
                        refused.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        long maxRss = rssAtStart;
        long maxHeap = -1;
        int sample = 0;
        while (clients.stream().anyMatch(f -> !f.isDone())) {
            maxRss = Math.max(maxRss, rssKib(pid));
            if (sample++ % 10 == 0) {
                maxHeap = Math.max(maxHeap, heapUsedKib(pid));
            }
            Thread.sleep(1_000);
        }
        for (Future<?> f : clients) {
            f.get();
        }
        pool.shutdown();
        long rssAtEnd = rssKib(pid);
        long bound = (HEAP_MIB + NON_HEAP_ALLOWANCE_MIB) * 1024;
        String summary = String.format("HeapBoundIT: %d s, 64 clients, -Xmx%s: %d answered 200, %d refused "
                        + "(400/401/503), %d failed; RSS %d MiB at start, %d MiB at most, %d MiB at the end; heap used "
                        + "at most %d MiB; bound %d MiB", seconds, HEAP, ok.get(), refused.get(), failed.get(),
                rssAtStart / 1024, maxRss / 1024, rssAtEnd / 1024, maxHeap / 1024, bound / 1024);
        Process nmt = new ProcessBuilder("jcmd", String.valueOf(pid), "VM.native_memory", "summary")
                .redirectErrorStream(true).start();
        String where = new String(nmt.getInputStream().readAllBytes());
        nmt.waitFor(30, TimeUnit.SECONDS);
        System.out.println(summary);
        Files.writeString(home.resolveSibling("heap-bound.txt"), summary + "\n\n" + where);
        assertTrue(summary, maxRss < bound);
        assertTrue("most requests answered: " + summary, ok.get() > 10 * (failed.get() + 1));
        HttpResponse<String> still = new WsmanClient(VMS[1], PORT).post(new WsmanClient(VMS[1], PORT).get(software,
                "<w:Selector Name=\"InstanceID\">AMT</w:Selector>"));
        assertEquals("vAMT still answers after the load: " + still.body(), 200, still.statusCode());
    }
}
