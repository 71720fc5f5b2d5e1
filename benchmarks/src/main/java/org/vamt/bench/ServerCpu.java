package org.vamt.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time the vAMT JVM spends, read from /proc/&lt;pid&gt;/stat (utime + stime). On a shared, loaded machine latency
 * moves with the neighbours; CPU per request barely does, so it is the number to compare before/after a change. The
 * total includes the JIT compiler, which is still busy long after the warm-up and then costs as much as the requests,
 * so the CPU of the request threads ({@code vamt-http-*}, from /proc/&lt;pid&gt;/task) is shown on its own too. The
 * pid comes from the system property {@code vamt.pid} (run-all.sh passes $DIST/karaf.pid); without it nothing is
 * measured.
 */
final class ServerCpu {
    /** Kernel clock ticks per second (USER_HZ), 100 on every Linux we run on. */
    private static final long TICKS_PER_SECOND = 100;

    private static final String REQUEST_THREADS = "vamt-http";

    private final Path stat;
    private final long startTicks;
    private final Map<Path, Long> startRequestThreads;

    private ServerCpu(Path stat) {
        this.stat = stat;
        this.startTicks = ticks(stat);
        this.startRequestThreads = requestThreadTicks(stat.getParent());
    }

    /** Starts measuring, or returns null when no pid was given or /proc cannot be read. */
    static ServerCpu start() {
        String pid = System.getProperty("vamt.pid", "");
        Path stat = Path.of("/proc", pid, "stat");
        return pid.isBlank() || ticks(stat) < 0 ? null : new ServerCpu(stat);
    }

    /** "server CPU N µs per request" since start, or an empty string when not measuring. */
    static String perRequest(ServerCpu cpu, int requests) {
        if (cpu == null || requests == 0) {
            return "";
        }
        long micros = (ticks(cpu.stat) - cpu.startTicks) * 1_000_000 / TICKS_PER_SECOND;
        long requestThreadTicks = 0;   // threads that ended in between are missed: slightly low
        for (Map.Entry<Path, Long> t : requestThreadTicks(cpu.stat.getParent()).entrySet()) {
            requestThreadTicks += t.getValue() - cpu.startRequestThreads.getOrDefault(t.getKey(), 0L);
        }
        long requestMicros = requestThreadTicks * 1_000_000 / TICKS_PER_SECOND;
        return String.format("server CPU %d µs per request, of which request threads %d µs (%d requests)",
                micros / requests, requestMicros / requests, requests);
    }

    /** CPU ticks of each live request thread of the process in {@code procDir}. */
    private static Map<Path, Long> requestThreadTicks(Path procDir) {
        Map<Path, Long> out = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(procDir.resolve("task"))) {
            for (Path task : tasks) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith(REQUEST_THREADS)) {
                        long t = ticks(task.resolve("stat"));
                        if (t >= 0) {
                            out.put(task, t);
                        }
                    }
                } catch (IOException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            // no /proc task list: the total is all there is
        }
        return out;
    }

    private static long ticks(Path stat) {
        try {
            String line = Files.readString(stat);
            // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
            String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
