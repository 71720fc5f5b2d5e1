package org.vamt.metrics;

import java.util.function.DoubleSupplier;

/**
 * Where vAMT bundles record what they count and time (an OSGi service; the {@code vamt-metrics} feature provides
 * it). Take it as an optional, dynamic reference and use {@link #NONE} while there is none. Names are dotted
 * ({@code vamt.wsman.requests}); the Prometheus endpoint writes them with underscores and the usual suffixes.
 * Tags are key, value pairs. Ask for a meter once and keep it: asking is a registry lookup, recording is not.
 */
public interface Metrics {

    /** A count that only goes up. */
    interface Counter {
        void increment();
    }

    /** Durations: count, sum, maximum and a latency histogram. */
    interface Timer {
        void record(long nanos);
    }

    /** A registered gauge: closing removes it (the object it reads may go away). */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    Counter counter(String name, String description, String... tags);

    Timer timer(String name, String description, String... tags);

    /** A value read at each scrape: {@code value} must be cheap and must not block. */
    Registration gauge(String name, String description, DoubleSupplier value, String... tags);

    /** Records nothing: for a bundle running without the metrics service. */
    Metrics NONE = new Metrics() {
        private static final Counter COUNTER = () -> { };
        private static final Timer TIMER = nanos -> { };
        private static final Registration REGISTRATION = () -> { };

        @Override
        public Counter counter(String name, String description, String... tags) {
            return COUNTER;
        }

        @Override
        public Timer timer(String name, String description, String... tags) {
            return TIMER;
        }

        @Override
        public Registration gauge(String name, String description, DoubleSupplier value, String... tags) {
            return REGISTRATION;
        }
    };
}
