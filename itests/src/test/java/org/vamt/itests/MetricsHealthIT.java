package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.After;
import org.junit.Test;

/**
 * Issue 22, metrics and health: vAMT ({@code bin/karaf}, a copy of the distribution) on a libvirtd of the test's own
 * ({@link PrivateLibvirtd}). {@code /metrics} on the management interface is scraped over a real socket before and
 * after three WS-Management Gets, a Get of a class nobody serves and a Digest login with a wrong password: the request
 * counters of that class, action and status move by exactly that much, the latency histogram has its buckets, and
 * the failed login is counted. {@code /health} is 200 and UP; the libvirtd is frozen (SIGSTOP) with no client calling
 * and {@code /health} turns 503 NOT_ANSWERING, then UP after SIGCONT; the libvirtd is killed and {@code /health} turns 503
 * naming the hypervisor (and {@code vamt_hypervisor_connected} 0); a new libvirtd on the same socket and it is 200
 * again. No login on either (docs/operations.md, "Metrics and health"). Own ports: 31992/31993, 31181, 31101,
 * 31199, 31444.
 */
public class MetricsHealthIT {
    static final int PORT = 31992;
    static final int HTTP_PORT = 31181;
    static final String VM = "127.0.0.2";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String GET_SERIES = "vamt_wsman_requests_seconds_count{action=\"Get\",class=\"AMT_GeneralSettings\","
            + "status=\"ok\"}";
    static final String UNSERVED_SERIES = "vamt_wsman_requests_seconds_count{action=\"Get\",class=\"CIM_Nothing\","
            + "status=\"DestinationUnreachable\"}";
    static final String AUTH_FAILURES = "vamt_auth_failures_total{reason=\"credentials\"}";

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Process karaf;
    PrivateLibvirtd libvirtd;

    @After
    public void stopWhatIsLeft() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
        if (libvirtd != null) {
            libvirtd.close();
        }
    }

    @Test
    public void countersMoveWithRequestsAndFailedLoginsAndHealthFollowsTheHypervisor() throws Exception {
        Path home = RestartIT.freshCopyOfTheDistribution("metrics-health", PORT, PORT + 1, HTTP_PORT, 31101, 31199,
                31444);
        libvirtd = PrivateLibvirtd.start(home.resolveSibling("libvirtd"), home.resolve("etc/vamt-demo-vms.xml"));
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "uri", libvirtd.uri());
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "reconnectIntervalMs", "500");
        karaf = RestartIT.startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD));

        HttpResponse<String> healthy = awaitHealth(200, 60);
        assertTrue(healthy.body(), healthy.body().startsWith("{\"status\":\"UP\""));
        assertEquals("application/json", healthy.headers().firstValue("Content-Type").orElse(""));

        WsmanClient admin = new WsmanClient(VM, PORT);
        RestartIT.untilAnswered(admin, RestartIT.generalSettings());   // the providers are in
        HttpResponse<String> scrape = get("/metrics");
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.headers().firstValue("Content-Type").orElse(""), scrape.headers()
                .firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        Map<String, Double> before = PrometheusText.parse(scrape.body());

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = admin.post(RestartIT.generalSettings());
            assertEquals(r.body(), 200, r.statusCode());
        }
        HttpResponse<String> unserved = admin.post(RestartIT.get(WsmanClient.CIM + "CIM_Nothing"));
        assertEquals(unserved.body(), 400, unserved.statusCode());
        HttpResponse<String> wrong = new WsmanClient(VM, PORT, "admin", "not-" + WsmanClient.PASSWORD)
                .post(RestartIT.generalSettings());
        assertEquals("a wrong password gets the Digest challenge again", 401, wrong.statusCode());

        Map<String, Double> after = PrometheusText.parse(get("/metrics").body());
        assertEquals("three Gets of AMT_GeneralSettings counted: " + PrometheusText.matching(after, "vamt_wsman"),
                3.0, after.get(GET_SERIES) - before.getOrDefault(GET_SERIES, 0.0), 0.0);
        assertEquals("the Get of an unserved class counted with its fault: " + PrometheusText.matching(after,
                "CIM_Nothing"), 1.0, after.getOrDefault(UNSERVED_SERIES, 0.0) - before.getOrDefault(UNSERVED_SERIES,
                0.0), 0.0);
        assertEquals("the failed login counted", 1.0, after.get(AUTH_FAILURES) - before.get(AUTH_FAILURES), 0.0);
        assertTrue("a latency histogram: " + PrometheusText.matching(after, "AMT_GeneralSettings"),
                after.keySet().stream().anyMatch(k -> k.startsWith("vamt_wsman_requests_seconds_bucket{")
                        && k.contains("class=\"AMT_GeneralSettings\"") && k.contains("le=\"+Inf\"")));
        assertEquals("the hypervisor is connected", 1.0, after.get("vamt_hypervisor_connected"), 0.0);
        assertEquals("the demo VMs all have endpoints", 4.0, after.get("vamt_endpoints"), 0.0);
        double vms = PrometheusText.matching(after, "vamt_vms{").values().stream().mapToDouble(Double::doubleValue)
                .sum();
        assertEquals("the demo VMs by state: " + PrometheusText.matching(after, "vamt_vms{"), 4.0, vms, 0.0);

        // frozen (SIGSTOP) while no client calls: the connection's heartbeat finds it
        HungHypervisorIT.signal(libvirtd.process().pid(), "STOP");
        try {
            HttpResponse<String> frozen = awaitHealth(503, 30);
            assertTrue(frozen.body(), frozen.body().contains(
                    "\"hypervisor\":{\"status\":\"DOWN\",\"detail\":\"NOT_ANSWERING\"}"));
        } finally {
            HungHypervisorIT.signal(libvirtd.process().pid(), "CONT");
        }
        awaitHealth(200, 30);

        libvirtd.kill();
        HttpResponse<String> down = awaitHealth(503, 30);
        assertTrue(down.body(), down.body().contains("\"status\":\"DOWN\"")
                && down.body().contains("\"hypervisor\":{\"status\":\"DOWN\",\"detail\":\"DISCONNECTED\"}"));
        assertEquals("the connection gauge follows", 0.0,
                PrometheusText.parse(get("/metrics").body()).get("vamt_hypervisor_connected"), 0.0);

        libvirtd.startDaemon();
        HttpResponse<String> again = awaitHealth(200, 30);
        assertTrue(again.body(), again.body().startsWith("{\"status\":\"UP\""));
        Map<String, Double> reconnected = PrometheusText.parse(get("/metrics").body());
        assertEquals(1.0, reconnected.get("vamt_hypervisor_connected"), 0.0);
        assertTrue("a second connection: " + reconnected.get("vamt_hypervisor_connections"),
                reconnected.get("vamt_hypervisor_connections") >= 2);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /health until it answers {@code status}; fails with the last answer after {@code seconds}. */
    private HttpResponse<String> awaitHealth(int status, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        HttpResponse<String> last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                last = get("/health");
                if (last.statusCode() == status) {
                    return last;
                }
            } catch (java.io.IOException notYet) {
                // the HTTP service is starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/health did not answer " + status + " within " + seconds + " s; last: "
                + (last == null ? "no answer" : last.statusCode() + " " + last.body()));
    }
}
