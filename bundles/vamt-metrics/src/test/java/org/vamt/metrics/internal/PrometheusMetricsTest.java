package org.vamt.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.vamt.metrics.Metrics;

class PrometheusMetricsTest {
    private final PrometheusMetrics metrics = new PrometheusMetrics();

    private String scrape(String accept) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.scrape(accept, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void countersTimersAndGaugesAreWrittenWithPrometheusNamesAndTheirLabels() throws Exception {
        Metrics.Counter failures = metrics.counter("vamt.test.failures", "test", "reason", "credentials");
        failures.increment();
        failures.increment();
        Metrics.Timer requests = metrics.timer("vamt.test.requests", "test", "class", "CIM_X", "status", "ok");
        requests.record(300_000);           // 0.3 ms: in the 0.5 ms bucket, not the 0.25 ms one
        requests.record(3_000_000_000L);    // 3 s
        AtomicInteger sessions = new AtomicInteger(4);
        metrics.gauge("vamt.test.sessions", "test", sessions::get, "kind", "SOL");

        String text = scrape(null);
        assertTrue(text.contains("vamt_test_failures_total{reason=\"credentials\"} 2.0"), text);
        assertTrue(text.contains("vamt_test_requests_seconds_count{class=\"CIM_X\",status=\"ok\"} 2"), text);
        assertTrue(text.contains("vamt_test_requests_seconds_bucket{class=\"CIM_X\",status=\"ok\",le=\"2.5E-4\"} 0"),
                text);
        assertTrue(text.contains("vamt_test_requests_seconds_bucket{class=\"CIM_X\",status=\"ok\",le=\"5.0E-4\"} 1"),
                text);
        assertTrue(text.contains("vamt_test_requests_seconds_bucket{class=\"CIM_X\",status=\"ok\",le=\"+Inf\"} 2"),
                text);
        assertTrue(text.contains("vamt_test_sessions{kind=\"SOL\"} 4.0"), text);
        sessions.set(1);
        assertTrue(scrape(null).contains("vamt_test_sessions{kind=\"SOL\"} 1.0"), "read at each scrape");
        assertTrue(text.contains("jvm_memory_used_bytes"), "the JVM's meters too");
    }

    @Test
    void askingForAMeterAgainGivesTheSameSeries() throws Exception {
        metrics.counter("vamt.test.once", "test").increment();
        metrics.counter("vamt.test.once", "test").increment();
        assertTrue(scrape(null).contains("vamt_test_once_total 2.0"));
    }

    @Test
    void aClosedGaugeIsGoneAndMayBeRegisteredAnew() throws Exception {
        Metrics.Registration first = metrics.gauge("vamt.test.endpoints", "test", () -> 7);
        assertTrue(scrape(null).contains("vamt_test_endpoints 7.0"));
        first.close();
        assertFalse(scrape(null).contains("vamt_test_endpoints"));
        metrics.gauge("vamt.test.endpoints", "test", () -> 9);
        assertTrue(scrape(null).contains("vamt_test_endpoints 9.0"), "the new supplier, not the closed one's");
    }

    @Test
    void theFormatFollowsTheAcceptHeader() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.scrape("*/*", out));
        String openMetrics = metrics.scrape("application/openmetrics-text; version=1.0.0", new ByteArrayOutputStream());
        assertTrue(openMetrics.startsWith("application/openmetrics-text"), openMetrics);
    }
}
