package org.vamt.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The flame summary of a JFR recording in text, for docs/benchmarks.md: where the Java CPU samples fall by thread
 * group, by method on top of the stack (self) and by method anywhere on the stack (inclusive), what the JIT compiler
 * and the GC took, and which callers wait in native code (libvirt through JNA). A profile says why a target is missed; this makes one small enough to read and to keep.
 * Usage: {@code JfrSummary <file.jfr> [topN]}.
 */
public final class JfrSummary {
    private JfrSummary() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        // Threads in native code: blocked in accept/epoll as often as working (a libvirt call through JNA).
        Map<String, Integer> inNative = new HashMap<>();
        int nativeSamples = 0;
        long firstCompileMillis = -1;
        long firstCompileCount = 0;
        long lastCompileMillis = 0;
        long lastCompileCount = 0;
        Duration gcPauses = Duration.ZERO;
        int gcs = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            switch (event.getEventType().getName()) {
                case "jdk.ExecutionSample" -> {
                    RecordedStackTrace stack = event.getStackTrace();
                    if (stack == null || stack.getFrames().isEmpty()) {
                        continue;
                    }
                    samples++;
                    byThread.merge(threadGroup(event.getThread("sampledThread")), 1, Integer::sum);
                    List<RecordedFrame> frames = stack.getFrames();
                    self.merge(name(frames.get(0).getMethod()), 1, Integer::sum);
                    Set<String> seen = new HashSet<>();
                    for (RecordedFrame frame : frames) {
                        String name = name(frame.getMethod());
                        if (seen.add(name)) {
                            inclusive.merge(name, 1, Integer::sum);
                        }
                    }
                }
                case "jdk.NativeMethodSample" -> {
                    RecordedStackTrace stack = event.getStackTrace();
                    if (stack != null && !stack.getFrames().isEmpty()) {
                        nativeSamples++;
                        inNative.merge(nativeCaller(stack.getFrames()), 1, Integer::sum);
                    }
                }
                case "jdk.CompilerStatistics" -> {   // periodic, cumulative since the JVM started
                    long spent = event.getDuration("totalTimeSpent").toMillis();
                    long count = event.getLong("compileCount");
                    if (firstCompileMillis < 0) {
                        firstCompileMillis = spent;
                        firstCompileCount = count;
                    }
                    lastCompileMillis = spent;
                    lastCompileCount = count;
                }
                case "jdk.GarbageCollection" -> {
                    gcPauses = gcPauses.plus(event.getDuration("sumOfPauses"));
                    gcs++;
                }
                default -> {
                }
            }
        }
        System.out.printf("%s: %d Java execution samples; JIT: %d compilations, %d ms compiling (all compiler"
                + " threads; up to the recording's start: %d, %d ms); GC: %d collections, %d ms paused%n",
                file.getFileName(), samples, lastCompileCount - Math.max(firstCompileCount, 0),
                lastCompileMillis - Math.max(firstCompileMillis, 0), firstCompileCount, Math.max(firstCompileMillis, 0),
                gcs, gcPauses.toMillis());
        print("samples by thread", byThread, samples, top);
        print("self (top of stack)", self, samples, top);
        print("inclusive (anywhere on the stack)", inclusive, samples, top);
        print("threads in native code (running or blocked), by the nearest libvirt or vAMT caller; "
                + nativeSamples + " samples", inNative, nativeSamples, 10);
    }

    private static void print(String title, Map<String, Integer> counts, int total, int top) {
        System.out.println("### " + title);
        String rows = counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .map(e -> String.format("%5.1f %%  %s", 100.0 * e.getValue() / Math.max(total, 1),
                        e.getKey()))
                .collect(Collectors.joining(System.lineSeparator()));
        System.out.println(rows);
    }

    /** The first frame of libvirt-java or of ours, which says what a native call is for; else the top frame. */
    private static String nativeCaller(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod() == null ? "" : frame.getMethod().getType().getName();
            if (type.startsWith("org.libvirt.") || type.startsWith("org.vamt.")) {
                return name(frame.getMethod());
            }
        }
        return name(frames.get(0).getMethod());
    }

    /** A thread's name without its number, so a pool's threads count as one: "vamt-http-12" is "vamt-http-#". */
    private static String threadGroup(RecordedThread thread) {
        if (thread == null) {
            return "(unknown)";
        }
        String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
        return name == null ? "(unnamed)" : name.replaceAll("\\d+", "#");
    }

    private static String name(RecordedMethod method) {
        if (method == null) {
            return "(unknown)";
        }
        String type = method.getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + method.getName() + "  [" + packageOf(type) + "]";
    }

    private static String packageOf(String type) {
        int dot = type.lastIndexOf('.');
        return dot < 0 ? "" : type.substring(0, dot);
    }
}
