package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.reflect.Proxy;
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
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.tls.TlsIdentity;

/** The WsmanServer component as DS builds it: its two listeners, their configuration and lifecycle. */
class WsmanServerTlsTest {
    private UserStore users;
    private static final String PASSWORD = "P@ssw0rd-both";

    @TempDir
    Path etc;
    DemoHypervisor demo;
    CimObjectManager cimom;
    TlsIdentity identity;
    int plainPort;
    int tlsPort;
    WsmanServer server;

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
        tlsPort = freePort();
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

    private WsmanServer server(int tls, TlsIdentity tlsIdentity) throws Exception {
        Map<String, Object> values = Map.of("port", plainPort, "tlsPort", tls,
                "endpointsFile", etc.resolve("vamt-endpoints.properties").toString());
        WsmanServer.Config config = (WsmanServer.Config) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {WsmanServer.Config.class}, (proxy, method, args) ->
                        values.getOrDefault(method.getName(), method.getDefaultValue()));
        return new WsmanServer(cimom, demo.hypervisor(), users, config, tlsIdentity, null);
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
        return client.realm;
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
}
