package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimInstance;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.EndpointServer;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.tls.TlsIdentity;
import org.vamt.security.digest.DigestClient;

/** The endpoint server (vamt-endpoints) as DS builds it, serving WS-Management: its listeners, their configuration and lifecycle. */
class EndpointServerTlsTest {
    private UserStore users;
    private static final String PASSWORD = "P@ssw0rd-both";

    @TempDir
    Path etc;
    DemoHypervisor demo;
    CimObjectManager cimom;
    TlsIdentity identity;
    int plainPort;
    int tlsPort;
    EndpointServer server;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        cimom = new TestCimom("""
                class CIM_ManagedElement { string ElementName; };
                class AMT_GeneralSettings : CIM_ManagedElement { [Key] string InstanceID; string DigestRealm; };
                """).serve((ctx, className) -> List.of(CimInstance.builder("AMT_GeneralSettings")
                .key("InstanceID", "Intel(r) AMT: General Settings").property("DigestRealm", ctx.digestRealm())
                .build()), "AMT_GeneralSettings").manager();
        users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        identity = WsmanTlsTest.identityIn(etc);
        plainPort = freePort();
        do {
            // a port closed a moment ago may be handed out again at once
            tlsPort = freePort();
        } while (tlsPort == plainPort);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.deactivate();
        }
        demo.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private EndpointServer server(int tls, TlsIdentity tlsIdentity) throws Exception {
        return server(Map.of("tlsPort", tls), tlsIdentity);
    }

    private EndpointServer server(Map<String, Object> settings, TlsIdentity tlsIdentity) throws Exception {
        Map<String, Object> values = new java.util.HashMap<>(Map.of("port", plainPort,
                "endpointsFile", etc.resolve("vamt-endpoints.properties").toString()));
        values.putAll(settings);
        EndpointServer s = new EndpointServer(demo.hypervisor(), TestSecurity.create(users, 5, 60_000, 600_000,
                e -> { }), TestConfigs.of(EndpointServer.Config.class, values), null);
        if (tlsIdentity != null) {
            s.bindTls(tlsIdentity);   // as DS binds the dynamic reference after construction
        }
        s.addPathHandler(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class, Map.of())),
                Map.of(org.vamt.endpoints.EndpointPathHandler.PATH, "/wsman"));
        return s;
    }

    /** The Digest realm a plain GET is challenged with: which VM answered. */
    private static String challengedRealm(String address, int port, String host) throws IOException {
        try (Socket socket = new Socket(address, port)) {
            socket.getOutputStream().write(("GET /wsman HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("realm=\"([^\"]+)\"").matcher(answer);
            return m.find() ? m.group(1) : answer.lines().findFirst().orElse("");
        }
    }

    /**
     * A port with the next {@code count - 1} ports free as well, none of them this test's plain or TLS
     * port (free too until the server binds them; the kernel hands out ports in sequence here).
     */
    private int freeRange(int count) throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            // below Linux's ephemeral range (32768 up): there a run of 10 is broken by the client ends
            // of the JVM's own connections, and the suite once found none in 50 tries
            int first = java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000, 32_700);
            boolean free = true;
            for (int p = first; p < first + count && free; p++) {
                // bound as Jetty binds (address reuse on): a port held only by a closed client
                // connection in TIME_WAIT is free for the listener; binding without reuse called it
                // taken, and after the suite's many connections no 10 ports in a row were "free"
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new java.net.InetSocketAddress(p));
                } catch (IOException taken) {
                    free = false;
                }
            }
            boolean clear = (plainPort < first || plainPort >= first + count)
                    && (tlsPort < first || tlsPort >= first + count);
            if (free && clear && first + count < 65535) {
                return first;
            }
        }
        throw new IOException("no " + count + " free ports in a row");
    }

    @Test
    void portStrategyOpensAListenerPairPerVmAndClosesThemOnDeactivate() throws Exception {
        int first = freeRange(10);
        server = server(Map.of("strategy", "port", "firstPort", first, "firstAddress", "127.0.0.2",
                "tlsPort", tlsPort), identity);
        // the map fills off the activation thread, and with it the per-VM listeners; endpoints() waits for it
        assertEquals(4, server.endpoints().size());
        // name order: build-server, desktop-01, desktop-02, kiosk; each an HTTP port and the TLS one after it
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000001", realmVia("http", first + 2));
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000001", realmVia("https", first + 3));
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000004", realmVia("http", first + 6));
        assertClosed(plainPort);
        assertEquals(List.of(first, first + 2, first + 4, first + 6),
                server.endpoints().stream().map(e -> e.port()).toList());
        assertEquals("http://127.0.0.2:" + (first + 6) + "/wsman", server.endpoints().get(3).url());
        server.move("6f8c1a52-4b1e-4d6a-9a01-000000000004", String.valueOf(first + 8));
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000004", realmVia("http", first + 8));
        assertClosed(first + 6);
        server.deactivate();
        server = null;
        for (int p = first; p <= first + 8; p++) {
            assertClosed(p);
        }
    }

    @Test
    void hostStrategyPicksTheVmByTheHostHeader() throws Exception {
        server = server(Map.of("strategy", "host", "hostSuffix", "vamt.test", "tlsPort", 0), identity);
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000004", challengedRealm("127.0.0.2", plainPort,
                "kiosk.vamt.test:" + plainPort));
        assertEquals("Digest:6F8C1A524B1E4D6A9A01000000000001", challengedRealm("127.0.0.9", plainPort,
                "DESKTOP-01.vamt.test"));
        assertEquals("HTTP/1.1 404 Not Found", challengedRealm("127.0.0.2", plainPort, "127.0.0.2"));
        assertEquals("http://kiosk.vamt.test:" + plainPort + "/wsman", server.endpoints().stream()
                .filter(e -> e.name().equals("kiosk")).findFirst().orElseThrow().url());
    }

    @Test
    void aRenamedDomainKeepsItsEndpointAndAnUndefinedOneLosesIt() throws Exception {
        server = server(0, identity);
        String kiosk = "6f8c1a52-4b1e-4d6a-9a01-000000000004";
        server.move(kiosk, "127.0.0.40");
        // libvirt's rename: "undefined" for the old name while the domain is still defined under its UUID
        server.machineChanged(new org.vamt.hypervisor.MachineEvent(kiosk, "kiosk",
                org.vamt.hypervisor.MachineEvent.Type.UNDEFINED));
        server.machineChanged(new org.vamt.hypervisor.MachineEvent(kiosk, "front-desk",
                org.vamt.hypervisor.MachineEvent.Type.DEFINED));
        org.vamt.endpoints.Endpoints.Endpoint renamed = server.endpoints().stream()
                .filter(e -> e.uuid().equals(kiosk)).findFirst().orElseThrow();
        assertEquals("front-desk", renamed.name());
        assertEquals("127.0.0.40", renamed.address());
        // a UUID libvirt no longer knows: really undefined
        String gone = "0be5a1e0-0000-4000-8000-0000000000e2";
        server.machineChanged(new org.vamt.hypervisor.MachineEvent(gone, "ops-gone",
                org.vamt.hypervisor.MachineEvent.Type.DEFINED));
        assertEquals(5, server.endpoints().size());
        server.machineChanged(new org.vamt.hypervisor.MachineEvent(gone, "ops-gone",
                org.vamt.hypervisor.MachineEvent.Type.UNDEFINED));
        assertEquals(4, server.endpoints().size());
    }

    private String realmVia(String scheme, int port) throws Exception {
        HttpClient http = scheme.equals("https")
                ? HttpClient.newBuilder().sslContext(WsmanTlsTest.pinning(identity.certificate()))
                        .connectTimeout(Duration.ofSeconds(5)).build()
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        DigestClient client = new DigestClient(http, scheme + "://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
        HttpResponse<String> r = client.post(WsmanEndpointTest.envelope(Ns.ACTION_GET,
                ResourceUris.AMT + "AMT_GeneralSettings", null, null));
        assertEquals(200, r.statusCode(), r.body());
        return client.realm();
    }

    private static void assertClosed(int port) {
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.2", port).close(), "port " + port);
    }

    @Test
    void bothPortsServeTheSameVmWithTheSameUsersAndBothCloseOnDeactivate() throws Exception {
        server = server(tlsPort, identity);
        String realm = realmVia("http", plainPort);
        assertEquals(realm, realmVia("https", tlsPort), "same VM behind 127.0.0.2 on both ports");
        server.deactivate();
        server = null;
        assertClosed(plainPort);
        assertClosed(tlsPort);
        server = server(tlsPort, identity);   // a restart (e.g. a bundle refresh) gets both ports again
        assertEquals(realm, realmVia("https", tlsPort));
    }

    @Test
    void tlsPortZeroOrNoTlsIdentityLeavesThePlainPortAlone() throws Exception {
        server = server(0, identity);
        realmVia("http", plainPort);
        assertClosed(tlsPort);
        server.deactivate();
        server = server(tlsPort, null);
        realmVia("http", plainPort);
        assertClosed(tlsPort);
    }

    @Test
    void aTlsIdentityComingAndGoingOpensAndClosesOnlyTheTlsListener() throws Exception {
        server = server(tlsPort, null);
        HttpClient keepAlive = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        DigestClient plain = new DigestClient(keepAlive, "http://127.0.0.2:" + plainPort + "/wsman", "admin", PASSWORD);
        String get = WsmanEndpointTest.envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null);
        assertEquals(200, plain.post(get).statusCode());
        assertClosed(tlsPort);
        server.bindTls(identity);
        String realm = realmVia("https", tlsPort);
        assertEquals(200, plain.post(get).statusCode(), "the plain listener served on");
        assertEquals(realm, plain.realm());
        server.unbindTls(identity);
        assertClosed(tlsPort);
        assertEquals(200, plain.post(get).statusCode());
    }
}
