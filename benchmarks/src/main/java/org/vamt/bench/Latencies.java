package org.vamt.bench;

import java.util.Arrays;

/** Latency samples in microseconds and their percentiles. */
public final class Latencies {
    private long[] samples = new long[1 << 12];
    private int count;

    public void add(long micros) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = micros;
    }

    public void addAll(Latencies other) {
        for (int i = 0; i < other.count; i++) {
            add(other.samples[i]);
        }
    }

    public int count() {
        return count;
    }

    /** The q-quantile (0..1) in milliseconds. */
    public double percentileMs(double q) {
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        return sorted[Math.min(count - 1, (int) (count * q))] / 1000.0;
    }

    public String summary() {
        return String.format("n %d, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", count, percentileMs(0.5),
                percentileMs(0.99), percentileMs(0.999), percentileMs(1.0));
    }
}
