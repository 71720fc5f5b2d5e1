package org.vamt.metrics.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.distribution.pause.NoPauseDetector;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.osgi.service.component.annotations.Component;
import org.vamt.metrics.Metrics;

/**
 * The {@link Metrics} service on Micrometer's Prometheus registry, with the JVM's memory, threads, classes, CPU
 * and uptime. Timers carry a latency histogram with fixed buckets from 100 µs (a Get takes ~0.2 ms) to 30 s
 * (the longest OperationTimeout a client waits for), the same for every timer so their buckets add up.
 */
// Metrics.Counter and Metrics.Timer are this class's member types: Micrometer's go by their full names
@Component(service = {Metrics.class, PrometheusMetrics.class})
public class PrometheusMetrics implements Metrics {
    static final Duration[] BUCKETS = {
            Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
            Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public PrometheusMetrics() {
        // Micrometer's default pause detector (LatencyUtils) runs threads that wake every 100 ms and adds an
        // interval estimate to every timer record, on the Get path: it corrects for GC pauses we do not need
        registry.config().pauseDetector(new NoPauseDetector());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    @Override
    public Metrics.Counter counter(String name, String description, String... tags) {
        io.micrometer.core.instrument.Counter c = io.micrometer.core.instrument.Counter.builder(name).description(description).tags(tags).register(registry);
        return c::increment;
    }

    @Override
    public Metrics.Timer timer(String name, String description, String... tags) {
        io.micrometer.core.instrument.Timer t = io.micrometer.core.instrument.Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(BUCKETS)
                .register(registry);
        return nanos -> t.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public Registration gauge(String name, String description, DoubleSupplier value, String... tags) {
        // strong reference: the supplier is often a lambda nobody else holds, which a weak one would lose
        Gauge g = Gauge.builder(name, value, DoubleSupplier::getAsDouble).description(description).tags(tags)
                .strongReference(true).register(registry);
        return () -> registry.remove(g);
    }

    /**
     * Writes the registry in the format the scraper's Accept header asks for (Prometheus text by default,
     * OpenMetrics text on request; the protobuf format is not embedded), chosen by the Prometheus client's own
     * negotiation; returns its content type.
     */
    public String scrape(String accept, OutputStream out) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        registry.scrape(out, writer.getContentType());
        return writer.getContentType();
    }

    /** How the Prometheus client picks a writer; built once, as Micrometer's registry does. */
    private final ExpositionFormats formats = ExpositionFormats.init();
}
