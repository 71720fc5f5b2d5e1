package org.vamt.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches a CIRA fleet reach its MPS, from the moment it is called (the configuration was just
 * written, or the MPS just restarted), and prints one row per second: how many VMs vAMT reports
 * connected so far, the attempts vAMT made in that second (connected + failed), the connections
 * MeshCentral's MPS accepted in that second ("New CIRA connection", its {@code mps} debug source),
 * vAMT's thread count, and, sampled from a thread dump, how many tunnel threads are inside a TLS
 * handshake and how many wait for the handshake semaphore. Ends when {@code expected} VMs
 * are connected (or after the timeout) with a summary line.
 *
 * <pre>java -cp benchmarks/target/classes org.vamt.bench.CiraFleet karaf.log mc.log karafPid expected timeoutSeconds [dumpEverySeconds]</pre>
 *
 * Only the log bytes written after the start count (both files are read from their current end).
 */
public final class CiraFleet {
    private static final Pattern CONNECTED = Pattern.compile("CIRA VM '([^']+)': connected to ");
    private static final Pattern FAILED = Pattern.compile("CIRA VM '[^']+': .*retrying in ");
    private static final Pattern APPLIED = Pattern.compile("CIRA: VMs .* dial ");
    private static final Pattern MPS_NEW = Pattern.compile("MPS: New CIRA connection");

    private CiraFleet() {
    }

    /** Reads what a file gained since the last call. */
    private static final class Tail {
        final Path file;
        long offset;
        String partial = "";

        Tail(Path file) throws IOException {
            this.file = file;
            this.offset = Files.exists(file) ? Files.size(file) : 0;
        }

        List<String> lines() throws IOException {
            if (!Files.exists(file)) {
                return List.of();
            }
            long size = Files.size(file);
            if (size < offset) {
                offset = 0;   // rotated
            }
            if (size == offset) {
                return List.of();
            }
            byte[] b = new byte[(int) (size - offset)];
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                f.seek(offset);
                f.readFully(b);
            }
            offset = size;
            String text = partial + new String(b, StandardCharsets.UTF_8);
            int last = text.lastIndexOf('\n');
            partial = text.substring(last + 1);
            return last < 0 ? List.of() : List.of(text.substring(0, last).split("\n"));
        }
    }

    private static int count(List<String> lines, Pattern p) {
        int n = 0;
        for (String l : lines) {
            if (p.matcher(l).find()) {
                n++;
            }
        }
        return n;
    }

    private static int threads(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("Threads:")) {
                    return Integer.parseInt(l.substring(8).trim());
                }
            }
        } catch (IOException gone) {
            return -1;
        }
        return -1;
    }

    /** {handshaking, waiting for the semaphore} among the vamt-cira-N reader threads, from jcmd Thread.print. */
    private static int[] handshakes(long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "Thread.print").redirectErrorStream(true).start();
        String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        int handshaking = 0;
        int waiting = 0;
        for (String t : dump.split("\n\n")) {
            if (!t.startsWith("\"vamt-cira-") || t.startsWith("\"vamt-cira-timer")) {
                continue;
            }
            if (t.contains("SSLSocketImpl.startHandshake")) {
                handshaking++;
            } else if (t.contains("Semaphore.acquire")) {
                waiting++;
            }
        }
        return new int[] {handshaking, waiting};
    }

    public static void main(String[] args) throws Exception {
        Tail karaf = new Tail(Path.of(args[0]));
        Tail mc = new Tail(Path.of(args[1]));
        long pid = Long.parseLong(args[2]);
        int expected = Integer.parseInt(args[3]);
        long timeoutMillis = Long.parseLong(args[4]) * 1000;
        int dumpEvery = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        long t0 = System.currentTimeMillis();
        long applied = -1;
        long first = -1;
        int connected = 0;
        int attempts = 0;
        int mpsAccepted = 0;
        int peakAttempts = 0;
        int peakMps = 0;
        int peakThreads = 0;
        int peakHandshaking = 0;
        int peakWaiting = 0;
        int second = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        System.out.println("# s  vamt_connected  vamt_attempts/s  mps_accepted/s  threads  handshaking  waiting_semaphore");
        while (connected < expected && System.currentTimeMillis() - t0 < timeoutMillis) {
            second++;
            long until = t0 + second * 1000L;
            long sleep = until - System.currentTimeMillis();
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
            List<String> k = karaf.lines();
            List<String> m = mc.lines();
            if (applied < 0 && count(k, APPLIED) > 0) {
                applied = second;
            }
            int c = 0;
            for (String l : k) {
                Matcher x = CONNECTED.matcher(l);
                if (x.find()) {
                    c++;
                    names.add(x.group(1));
                }
            }
            int f = count(k, FAILED);
            int a = count(m, MPS_NEW);
            if (first < 0 && c > 0) {
                first = System.currentTimeMillis() - t0;
            }
            connected = names.size();
            attempts += c + f;
            mpsAccepted += a;
            int th = threads(pid);
            String hs = "-  -";
            if (dumpEvery > 0 && second % dumpEvery == 0) {
                int[] h = handshakes(pid);
                hs = h[0] + "  " + h[1];
                peakHandshaking = Math.max(peakHandshaking, h[0]);
                peakWaiting = Math.max(peakWaiting, h[1]);
            }
            peakAttempts = Math.max(peakAttempts, c + f);
            peakMps = Math.max(peakMps, a);
            peakThreads = Math.max(peakThreads, th);
            System.out.printf("%4d  %5d  %5d  %5d  %5d  %s%n", second, connected, c + f, a, th, hs);
        }
        long total = System.currentTimeMillis() - t0;
        System.out.printf("%s: %d of %d VMs connected (distinct) in %.1f s (configuration applied by second %d, first connected "
                        + "after %.1f s); %d vAMT attempts, %d connections accepted by the MPS; peaks per second: %d "
                        + "attempts, %d accepted; peak threads %d; peak handshakes at once %d, waiting %d%n",
                connected >= expected ? "ALL" : "TIMEOUT", connected, expected, total / 1000.0, applied,
                first / 1000.0, attempts, mpsAccepted, peakAttempts, peakMps, peakThreads, peakHandshaking,
                peakWaiting);
        if (connected < expected) {
            System.exit(1);
        }
    }
}
