package org.vamt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The soak: the paper's request (Get CIM_SoftwareIdentity InstanceID=AMT) with Digest over
 * {@code threads} keep-alive connections until {@code total} requests are answered; reports
 * throughput, latency percentiles, errors and — given the server's pid — its RSS, threads and open
 * descriptors before and after.
 *
 * <pre>java -cp benchmarks/target/classes:bundles/vamt-security/target/classes org.vamt.bench.Soak host port user password total threads [pid]</pre>
 */
public final class Soak {
    private Soak() {
    }

    /** RSS in KiB, thread count and open descriptors of a process, from /proc. */
    static String processFacts(String pid) throws IOException {
        if (pid == null) {
            return "(no pid given)";
        }
        String rss = "?";
        String threads = "?";
        for (String l : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = l.substring(6).trim();
            } else if (l.startsWith("Threads:")) {
                threads = l.substring(8).trim();
            }
        }
        long fds;
        try (var s = Files.list(Path.of("/proc", pid, "fd"))) {
            fds = s.count();
        }
        return "RSS " + rss + ", threads " + threads + ", descriptors " + fds;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: Soak host port user password total threads [pid]");
            System.exit(2);
        }
        String pid = args.length > 6 ? args[6] : null;
        System.out.println("before: " + processFacts(pid));
        LoadRun.Result r = LoadRun.run(args[0], Integer.parseInt(args[1]), args[2], args[3],
                Envelopes.getSoftwareIdentity(), Long.parseLong(args[4]), Integer.parseInt(args[5]));
        System.out.println(r);
        System.out.println("after: " + processFacts(pid));
    }
}
