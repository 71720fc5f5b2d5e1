package org.vamt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time the vAMT JVM spends, read from /proc/&lt;pid&gt;/stat (utime + stime). On a shared, loaded machine latency
 * moves with the neighbours; CPU per request barely does, so it is the number to compare before/after a change. The
 * pid comes from the system property {@code vamt.pid} (run-all.sh passes $DIST/karaf.pid); without it nothing is
 * measured.
 */
final class ServerCpu {
    /** Kernel clock ticks per second (USER_HZ), 100 on every Linux we run on. */
    private static final long TICKS_PER_SECOND = 100;

    private final Path stat;
    private final long startTicks;

    private ServerCpu(Path stat) {
        this.stat = stat;
        this.startTicks = ticks(stat);
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
        return String.format("server CPU %d µs per request (%d requests)", micros / requests, requests);
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
