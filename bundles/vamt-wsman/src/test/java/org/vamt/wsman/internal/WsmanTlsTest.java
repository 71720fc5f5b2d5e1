package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimInstance;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.tls.TlsIdentity;
import org.vamt.tls.internal.TlsIdentityComponent;
import org.vamt.security.digest.DigestClient;

/**
 * The 16993 listener over real sockets: the real TLS identity (generated into a temporary etc
 * directory), CXF/Jetty with TLS, the same Digest and dispatch as the plain port.
 */
class WsmanTlsTest {
    private static final String VM_UUID = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    private static final String PASSWORD = "P@ssw0rd-tls";
    private static final String MOF = """
            class CIM_ManagedElement { string ElementName; };
            class AMT_GeneralSettings : CIM_ManagedElement { [Key] string InstanceID; string DigestRealm; };
            """;

    @TempDir
    Path etc;
    int port;
    TlsIdentity identity;
    TestTransport listener;
    TestTransport handler;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CimObjectManager cimom = new TestCimom(MOF).serve((ctx, className) -> List.of(
                CimInstance.builder("AMT_GeneralSettings").key("InstanceID", "Intel(r) AMT: General Settings")
                        .property("DigestRealm", ctx.digestRealm()).build()), "AMT_GeneralSettings").manager();
        UserStore users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        handler = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, e -> { }), 65536, 64, 2_000, 60_000)
                .machine(VM_UUID, "desktop-01")
                .serve(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class,
                        Map.of("enumerationIdleSeconds", 60_000L / 1000, "maxEnumerationsPerUser", 4))), "/wsman");
        identity = identityIn(etc);
        listener = handler.listenTls(port, identity);
    }

    @AfterEach
    void stop() {
        listener.close();
    }

    /** The DS component as Karaf activates it, with its files in {@code dir} instead of ${karaf.etc}. */
    static TlsIdentity identityIn(Path dir) throws Exception {
        TlsIdentityComponent.Config config = (TlsIdentityComponent.Config) Proxy.newProxyInstance(
                WsmanTlsTest.class.getClassLoader(), new Class<?>[] {TlsIdentityComponent.Config.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "keystore" -> dir.resolve("vamt-tls.p12").toString();
                    case "passwordFile" -> dir.resolve("vamt-tls.password").toString();
                    default -> method.getDefaultValue();
                });
        return new TlsIdentityComponent(config);
    }

    /** Trusts exactly the expected certificate, as MeshCentral pins the fingerprint it recorded. */
    static SSLContext pinning(X509Certificate expected) throws Exception {
        X509ExtendedTrustManager pin = new X509ExtendedTrustManager() {
            private void check(X509Certificate[] chain) throws CertificateException {
                if (!chain[0].equals(expected)) {
                    throw new CertificateException("not the pinned certificate");
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s)
                    throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
                    throws CertificateException {
                check(chain);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s)
                    throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e)
                    throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {pin}, null);
        return ctx;
    }

    private SSLSession handshake(String[] protocols, String[] suites) throws Exception {
        try (SSLSocket s = (SSLSocket) pinning(identity.certificate()).getSocketFactory()
                .createSocket("127.0.0.2", port)) {
            s.setSoTimeout(5000);
            s.setEnabledProtocols(protocols);
            if (suites != null) {
                s.setEnabledCipherSuites(suites);
            }
            s.startHandshake();
            return s.getSession();
        }
    }

    private DigestClient client(String[] protocols, String[] suites) throws Exception {
        SSLParameters params = new SSLParameters();
        params.setProtocols(protocols);
        if (suites != null) {
            params.setCipherSuites(suites);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(pinning(identity.certificate())).sslParameters(params).build();
        return new DigestClient(http, "https://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
    }

    private static String getGeneralSettings() {
        return WsmanEndpointTest.envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null);
    }

    @Test
    void tls13ClientGetsDigestProtectedAnswers() throws Exception {
        DigestClient client = client(new String[] {"TLSv1.3"}, null);
        HttpResponse<String> challenge = client.raw(getGeneralSettings(), null);
        assertEquals(401, challenge.statusCode(), "Digest applies inside TLS too");
        assertTrue(challenge.headers().firstValue("WWW-Authenticate").orElseThrow().contains("realm=\"Digest:"),
                "the VM's Digest realm, as on the plain port");
        client.learn(challenge);
        HttpResponse<String> r = client.raw(getGeneralSettings(), client.authorization());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(">" + client.realm() + "<"), "dispatched to the VM at 127.0.0.2: " + r.body());
        HttpResponse<String> wrongPassword = new DigestClient(client.http(), client.url(), "admin", "wrong")
                .post(getGeneralSettings());
        assertEquals(401, wrongPassword.statusCode());
        assertEquals("TLSv1.3", handshake(new String[] {"TLSv1.3"}, null).getProtocol());
    }

    @Test
    void meshCentralsTls12StaticRsaSuitesWork() throws Exception {
        for (String suite : List.of("TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384")) {
            SSLSession session = handshake(new String[] {"TLSv1.2"}, new String[] {suite});
            assertEquals("TLSv1.2", session.getProtocol());
            assertEquals(suite, session.getCipherSuite());
        }
        DigestClient client = client(new String[] {"TLSv1.2"}, new String[] {"TLS_RSA_WITH_AES_128_GCM_SHA256"});
        assertEquals(200, client.post(getGeneralSettings()).statusCode(), "Digest over TLS 1.2 static RSA");
    }

    @Test
    void forwardSecretSuitesArePreferredForTls12() throws Exception {
        SSLSession session = handshake(new String[] {"TLSv1.2"}, new String[] {"TLS_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", session.getCipherSuite());
    }

    @Test
    void weakSuitesAreRefused() {
        assertThrows(SSLHandshakeException.class, () -> handshake(new String[] {"TLSv1.2"}, new String[] {
                "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256"}));
    }

    @Test
    void tls10And11ClientsAreRefusedByTheServer() throws Exception {
        String refused = runWeakClient("TLSv1,TLSv1.1", "TLS_RSA_WITH_AES_128_CBC_SHA,TLS_RSA_WITH_AES_256_CBC_SHA,"
                + "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
        assertTrue(refused.contains("offering TLSv1.1,TLSv1") || refused.contains("offering TLSv1,TLSv1.1"),
                "the client really offered the old versions: " + refused);
        assertTrue(refused.contains("Received fatal alert"), "the server refused them: " + refused);
        // the same harness succeeds with what vAMT accepts, so the refusal above is the server's
        String accepted = runWeakClient("TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256");
        assertTrue(accepted.contains("negotiated TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256"), accepted);
    }

    private String runWeakClient(String protocols, String suites) throws Exception {
        Path props = etc.resolve("allow-old-tls.security");
        Files.writeString(props, "jdk.tls.disabledAlgorithms=\n", StandardCharsets.US_ASCII);
        Path classes = Path.of(WeakTlsClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.security.properties=" + props, "-cp", classes.toString(), WeakTlsClient.class.getName(),
                "127.0.0.2", Integer.toString(port), protocols, suites).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "weak client finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(out.contains("negotiated") ? 0 : 1, p.exitValue(), out);
        return out;
    }

    @Test
    void certificateSurvivesARestartOnTheSameEtcDirectory() throws Exception {
        Certificate before = handshake(new String[] {"TLSv1.3"}, null).getPeerCertificates()[0];
        String fingerprint = identity.sha1Fingerprint();
        listener.closeListeners();
        identity = identityIn(etc);
        listener = handler.listenTls(port, identity);
        Certificate after = handshake(new String[] {"TLSv1.3"}, null).getPeerCertificates()[0];
        assertArrayEquals(before.getEncoded(), after.getEncoded());
        assertEquals(fingerprint, identity.sha1Fingerprint());
        assertNotEquals(fingerprint, identityIn(Files.createDirectory(etc.resolve("other"))).sha1Fingerprint(),
                "a fresh etc directory gets its own key");
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoAnswer() throws Exception {
        try (Socket s = new Socket("127.0.0.2", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] buf = new byte[64];
            int n;
            try {
                n = s.getInputStream().read(buf);
            } catch (IOException e) {
                n = -1;
            }
            assertTrue(n < 0 || !new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"),
                    "no plain-text answer on the TLS port");
        }
    }
}
