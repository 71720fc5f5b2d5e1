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
 * The CIRA fleet benchmark's two tools (run-all.sh, stage cira).
 *
 * <pre>
 * java -cp benchmarks/target/classes org.vamt.bench.CiraFleet watch karaf.log karafPid expected timeoutSeconds t0 [dumpEverySeconds]
 * java -cp benchmarks/target/classes org.vamt.bench.CiraFleet rates karaf.log mc.log t0 t1
 * </pre>
 *
 * {@code watch} polls karaf.log once a second until {@code expected} distinct VMs logged "connected
 * to" at or after {@code t0} (epoch ms, by the log's own timestamps) and prints per second that count,
 * vAMT's thread count (/proc) and, every {@code dumpEverySeconds}, from a thread dump (jcmd), how
 * many tunnel reader threads are inside a TLS handshake and how many wait for the handshake
 * semaphore. {@code rates} counts per second between t0 and t1, from the timestamps of karaf.log
 * and of MeshCentral's output (epoch ms put before each line by run-all.sh): tunnels ended by the
 * MPS, failed dial attempts, tunnels connected, connections accepted by the MPS ("New CIRA
 * connection", MeshCentral's {@code mps} debug source).
 */
public final class CiraFleet {
    private static final Pattern CONNECTED = Pattern.compile("CIRA VM '([^']+)': connected to ");
    private static final Pattern FAILED = Pattern.compile("CIRA VM '[^']+': .*retrying in ");
    private static final Pattern MPS_NEW = Pattern.compile("MPS: New CIRA connection");

    private CiraFleet() {
    }

    /** Reads what a file gained since the last call. */
    private static final class Tail {
        final Path file;
        long offset;
        String partial = "";

        Tail(Path file, long offset) {
            this.file = file;
            this.offset = offset;
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

    /** karaf.log's timestamp (local time of the JVM that wrote it, as this one's), in epoch ms. */
    private static long karafTime(String line) {
        java.time.LocalDateTime t = java.time.LocalDateTime.parse(line.substring(0, 23).replace(',', '.'));
        return t.atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
    }

    /**
     * Per second from {@code t0}, from the logs' own timestamps (karaf.log's, and the epoch ms that
     * run-all.sh puts before each line of MeshCentral's output): tunnels that ended (dropped by the
     * MPS), dial attempts that failed, tunnels connected, and connections MeshCentral's MPS accepted.
     */
    private static void rates(Path karafLog, Path mcLog, long t0, long t1) throws IOException {
        java.util.TreeMap<Long, int[]> rows = new java.util.TreeMap<>();
        // a tunnel that ends logs "connection to … ended" and then, as every failed attempt, "retrying in"
        Pattern ended = Pattern.compile("CIRA VM '[^']+': connection to .* ended");
        for (String l : Files.readAllLines(karafLog, StandardCharsets.ISO_8859_1)) {
            if (l.length() < 23 || !Character.isDigit(l.charAt(0))) {
                continue;
            }
            long t = karafTime(l);
            if (t < t0 || t > t1) {
                continue;
            }
            int[] r = rows.computeIfAbsent((t - t0) / 1000, k -> new int[4]);
            if (CONNECTED.matcher(l).find()) {
                r[2]++;
            } else if (ended.matcher(l).find()) {
                r[0]++;
                r[1]--;
            } else if (FAILED.matcher(l).find()) {
                r[1]++;
            }
        }
        for (String l : Files.readAllLines(mcLog, StandardCharsets.ISO_8859_1)) {
            int sp = l.indexOf(' ');
            if (sp <= 0 || !Character.isDigit(l.charAt(0)) || !MPS_NEW.matcher(l).find()) {
                continue;
            }
            long t = Long.parseLong(l.substring(0, sp));
            if (t >= t0 && t <= t1) {
                rows.computeIfAbsent((t - t0) / 1000, k -> new int[4])[3]++;
            }
        }
        System.out.println("# from the logs' timestamps, per second after t0: s  ended  failed_attempts  connected  "
                + "mps_accepted");
        int[] sum = new int[4];
        int[] peak = new int[4];
        if (!rows.isEmpty()) {
            for (long sec = 0; sec <= rows.lastKey(); sec++) {
                int[] r = rows.getOrDefault(sec, new int[4]);
                System.out.printf("%4d  %5d  %5d  %5d  %5d%n", sec, r[0], r[1], r[2], r[3]);
                for (int i = 0; i < 4; i++) {
                    sum[i] += r[i];
                    peak[i] = Math.max(peak[i], r[i]);
                }
            }
        }
        System.out.printf("totals: %d ended, %d failed attempts, %d connected, %d accepted by the MPS; peak per second:"
                + " %d failed attempts, %d connected, %d accepted%n", sum[0], sum[1], sum[2], sum[3], peak[1], peak[2],
                peak[3]);
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("rates")) {
            rates(Path.of(args[1]), Path.of(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
            return;
        }
        // watch karafLog karafPid expected timeoutSeconds t0 [dumpEverySeconds]
        Tail karaf = new Tail(Path.of(args[1]), 0);
        long pid = Long.parseLong(args[2]);
        int expected = Integer.parseInt(args[3]);
        long timeoutMillis = Long.parseLong(args[4]) * 1000;
        long t0 = Long.parseLong(args[5]);
        int dumpEvery = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        long start = System.currentTimeMillis();
        long first = -1;
        long last = -1;
        int peakThreads = 0;
        int peakHandshaking = 0;
        int peakWaiting = 0;
        int second = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        System.out.println("# live, per second: s  VMs connected since t0  threads  in a TLS handshake  waiting for the "
                + "handshake semaphore (thread dump)");
        while (names.size() < expected && System.currentTimeMillis() - start < timeoutMillis) {
            second++;
            long sleep = start + second * 1000L - System.currentTimeMillis();
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
            for (String l : karaf.lines()) {
                Matcher x = CONNECTED.matcher(l);
                if (x.find() && Character.isDigit(l.charAt(0))) {
                    long t = karafTime(l);
                    if (t >= t0 && names.add(x.group(1))) {
                        first = first < 0 ? t - t0 : first;
                        last = t - t0;
                    }
                }
            }
            int th = threads(pid);
            String hs = "-  -";
            if (dumpEvery > 0 && second % dumpEvery == 0) {
                int[] h = handshakes(pid);
                hs = h[0] + "  " + h[1];
                peakHandshaking = Math.max(peakHandshaking, h[0]);
                peakWaiting = Math.max(peakWaiting, h[1]);
            }
            peakThreads = Math.max(peakThreads, th);
            System.out.printf("%4d  %5d  %5d  %s%n", second, names.size(), th, hs);
        }
        System.out.printf("%s: %d of %d VMs connected %.1f s after t0 (the first after %.1f s, by karaf.log); peak "
                        + "threads %d%s%n", names.size() >= expected ? "ALL" : "TIMEOUT", names.size(), expected,
                last / 1000.0, first / 1000.0, peakThreads, dumpEvery == 0 ? "" : "; most tunnel threads in a TLS "
                        + "handshake at once " + peakHandshaking + ", waiting for the semaphore " + peakWaiting);
        if (names.size() < expected) {
            System.exit(1);
        }
    }
}
