package org.vamt.cira.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cira.CiraProfile;
import org.vamt.cira.apf.ApfCodec;
import org.vamt.cira.apf.ApfMessage;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.internal.TestSecurity;

/**
 * One tunnel against a scripted MPS on loopback (real TLS, real APF bytes) with the real door of
 * the endpoints behind it: the order of the login, the device's keep-alive and the MPS's options,
 * a channel served by the door (AMT's 401 for the VM's realm), a refused port, the graceful
 * DISCONNECT; and a certificate that is not trusted or does not name the host: nothing sent.
 */
class CiraTunnelTest {
    static final String VM = "6f8c1a52-4b1e-4d6a-9a01-000000000001";
    static final CiraProfile.Mps MPS_LOGIN = new CiraProfile.Mps("127.0.0.1", 1, "3IOvX4x5EVB20sBP", "Cira-Pass1");

    @TempDir
    Path dir;
    SSLServerSocket server;
    X509Certificate leaf;
    TestTransport transport;
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(1);
    final List<String> ended = new ArrayList<>();
    final CompletableFuture<Boolean> connected = new CompletableFuture<>();
    final CompletableFuture<String> end = new CompletableFuture<>();

    @BeforeEach
    void start() throws Exception {
        UserDirectory admin = new UserDirectory() {
            @Override
            public Optional<String> ha1(String user, String machineId, String realm) {
                return Optional.of(DigestMath.ha1(user, realm, "x"));
            }

            @Override
            public boolean permits(String user, String machineId, int realm) {
                return true;
            }
        };
        transport = new TestTransport(TestSecurity.create(admin, 5, 60_000, 600_000, e -> { }), 65536, 4, 200, 5_000)
                .machine(VM, "desktop-01")
                .serve(call -> new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, "ok"), "/wsman");
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        transport.close();
        timers.shutdownNow();
    }

    /** An MPS with a fresh key and a certificate for {@code san} (keytool's -ext syntax). */
    void mps(String cn, String san) throws Exception {
        Path ks = dir.resolve("mps-" + System.nanoTime() + ".p12");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "mps", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit"));
        if (san != null) {
            cmd.addAll(List.of("-ext", "san=" + san));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        leaf = (X509Certificate) store.getCertificate("mps");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 5,
                InetAddress.getLoopbackAddress());
    }

    CiraTunnel tunnel(MpsTrust trust) throws Exception {
        CiraProfile.Mps mps = new CiraProfile.Mps("127.0.0.1", server.getLocalPort(), MPS_LOGIN.user(),
                MPS_LOGIN.password());
        CiraTunnel t = new CiraTunnel(VM, "desktop-01", mps, trust.context(), 30, transport.tunnels(), timers,
                new Semaphore(1), new CiraTunnel.Listener() {
                    @Override
                    public void connected(CiraTunnel tunnel) {
                        connected.complete(true);
                    }

                    @Override
                    public void ended(CiraTunnel tunnel, String error, boolean trustError) {
                        end.complete((trustError ? "TRUST " : "") + error);
                    }
                });
        Thread th = new Thread(t, "tunnel-under-test");
        th.setDaemon(true);
        th.start();
        return t;
    }

    /** The MPS's end of one connection. */
    static final class Peer {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;
        final ApfCodec.Decoder decoder = new ApfCodec.Decoder();

        Peer(SSLSocket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(10_000);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        ApfMessage next() throws IOException {
            byte[] buf = new byte[4096];
            ApfMessage m;
            while ((m = decoder.next()) == null) {
                int n = in.read(buf);
                if (n < 0) {
                    return null;
                }
                decoder.feed(buf, 0, n);
            }
            return m;
        }

        /** The next message that is not a keep-alive. */
        ApfMessage nextBut() throws IOException {
            ApfMessage m = next();
            while (m instanceof ApfMessage.KeepAliveRequest k) {
                send(new ApfMessage.KeepAliveReply(k.cookie()));
                m = next();
            }
            return m;
        }

        void send(ApfMessage m) throws IOException {
            out.write(ApfCodec.encode(m));
            out.flush();
        }
    }

    @Test
    void theDeviceLogsInForwardsItsPortsKeepsAliveAndServesChannelsThroughTheDoor() throws Exception {
        mps("mps.test", "ip:127.0.0.1");
        CiraTunnel t = tunnel(MpsTrust.pins(MpsTrust.sha256Hex(leaf)));
        Peer mps = new Peer((SSLSocket) server.accept());
        // the VM introduces itself first, by its UUID in SMBIOS order, then asks for the auth service
        assertEquals(new ApfMessage.ProtocolVersion(1, 0, 4, UUID.fromString(VM)), mps.next());
        assertEquals(new ApfMessage.ServiceRequest("auth@amt.intel.com"), mps.next());
        mps.send(new ApfMessage.ServiceAccept("auth@amt.intel.com"));
        assertEquals(new ApfMessage.UserAuthRequest("3IOvX4x5EVB20sBP", "pfwd@amt.intel.com", "password",
                "Cira-Pass1"), mps.next());
        mps.send(new ApfMessage.UserAuthSuccess());
        assertEquals(new ApfMessage.ServiceRequest("pfwd@amt.intel.com"), mps.next());
        mps.send(new ApfMessage.ServiceAccept("pfwd@amt.intel.com"));
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ApfMessage.GlobalRequest g = assertInstanceOf(ApfMessage.GlobalRequest.class, mps.next());
            assertEquals("tcpip-forward", g.name());
            assertEquals("desktop-01", g.address());
            ports.add(g.port());
            mps.send(new ApfMessage.RequestSuccess(g.port()));
        }
        assertEquals(List.of(16992, 16993, 16994, 16995, 623, 664, 5900), ports);
        assertTrue(connected.get(10, TimeUnit.SECONDS));
        // MeshCentral's options after 5900; a 1-second interval is adopted: a keep-alive follows soon
        mps.send(new ApfMessage.KeepAliveOptionsRequest(1, 0));
        assertEquals(new ApfMessage.KeepAliveOptionsReply(1, 0), mps.next());
        ApfMessage.KeepAliveRequest k = assertInstanceOf(ApfMessage.KeepAliveRequest.class, mps.next());
        mps.send(new ApfMessage.KeepAliveReply(k.cookie()));
        mps.send(new ApfMessage.KeepAliveRequest(77));
        assertEquals(new ApfMessage.KeepAliveReply(77), mps.nextBut());

        // a channel to 16992 is the VM's endpoint: the door answers with the VM's realm, then closes
        mps.send(new ApfMessage.ChannelOpen("forwarded-tcpip", 4, 32768, 0xFFFFFFFF, "", 16992, "1.2.3.4", 1024));
        ApfMessage.ChannelOpenConfirmation ok = assertInstanceOf(ApfMessage.ChannelOpenConfirmation.class,
                mps.nextBut());
        assertEquals(4, ok.recipient());
        byte[] request = ("POST /wsman HTTP/1.1\r\nHost: " + VM + ":16992\r\nContent-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        // split over two messages, as an MPS may
        mps.send(new ApfMessage.ChannelData(ok.sender(), java.util.Arrays.copyOf(request, 10)));
        mps.send(new ApfMessage.ChannelData(ok.sender(), java.util.Arrays.copyOfRange(request, 10, request.length)));
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ApfMessage m = mps.nextBut();
        while (m instanceof ApfMessage.ChannelData d) {
            assertEquals(4, d.recipient());
            answer.writeBytes(d.data());
            m = mps.nextBut();
        }
        String http = answer.toString(StandardCharsets.ISO_8859_1);
        assertTrue(http.startsWith("HTTP/1.1 401"), http);
        assertTrue(http.contains("realm=\"Digest:6F8C1A524B1E4D6A9A01000000000001\""), http);
        assertTrue(http.contains("Server: Intel(R) Active Management Technology"), http);
        assertEquals(new ApfMessage.ChannelClose(4), m, "AMT closes after a 401");
        mps.send(new ApfMessage.ChannelClose(ok.sender()));
        // a port vAMT does not serve through CIRA is refused
        mps.send(new ApfMessage.ChannelOpen("forwarded-tcpip", 5, 32768, 0xFFFFFFFF, "", 623, "1.2.3.4", 1025));
        assertEquals(new ApfMessage.ChannelOpenFailure(5, ApfMessage.OPEN_CONNECT_FAILED), mps.nextBut());

        t.close();
        assertEquals(new ApfMessage.Disconnect(11), mps.nextBut(), "a graceful close says so");
        assertEquals("null", end.get(10, TimeUnit.SECONDS), "closed by us: no error");
    }

    private void assertNothingSent(String expectedError) throws Exception {
        SSLSocket s = (SSLSocket) server.accept();
        s.setSoTimeout(10_000);
        byte[] buf = new byte[100];
        int n;
        try {
            n = s.getInputStream().read(buf);   // the handshake runs here and fails on the device's side
        } catch (IOException refused) {
            n = -1;
        }
        assertEquals(-1, n, "not one application byte (no PROTOCOLVERSION, no password)");
        String error = end.get(10, TimeUnit.SECONDS);
        assertTrue(error.startsWith("TRUST ") && error.contains(expectedError), error);
        assertTrue(!connected.isDone());
    }

    @Test
    void aCertificateThatDoesNotMatchThePinGetsNothing() throws Exception {
        mps("mps.test", "ip:127.0.0.1");
        tunnel(MpsTrust.pins("00".repeat(32)));
        assertNothingSent("no certificate of the MPS's chain matches the SHA-256 pin (leaf SHA-256 "
                + MpsTrust.sha256Hex(leaf));
    }

    @Test
    void aPinnedCertificateForAnotherHostGetsNothing() throws Exception {
        mps("elsewhere.test", "dns:elsewhere.test");
        tunnel(MpsTrust.pins(MpsTrust.sha256Hex(leaf)));
        assertNothingSent("does not name 127.0.0.1");
    }

    @Test
    void aCertificateNotIssuedByTheConfiguredRootsGetsNothing() throws Exception {
        mps("mps.test", "ip:127.0.0.1");
        X509Certificate stranger = leaf;
        mps("mps.test", "ip:127.0.0.1");   // a second MPS key: the first certificate is no anchor for it
        String pem = "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                stranger.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        tunnel(MpsTrust.roots(pem));
        assertNothingSent("the MPS's certificate is not trusted");
    }

    @Test
    void theConfiguredRootIsTrustedAndItsHostNameChecked() throws Exception {
        mps("mps.test", "ip:127.0.0.1");
        String pem = "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                leaf.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        tunnel(MpsTrust.roots(pem));
        Peer mps = new Peer((SSLSocket) server.accept());
        assertInstanceOf(ApfMessage.ProtocolVersion.class, mps.next());
        mps.socket.close();
        String error = end.get(10, TimeUnit.SECONDS);
        assertTrue(error.contains("closed the connection"), error);
        assertNull(connected.getNow(null));
    }

    @Test
    void aLoginRefusedByTheMpsEndsTheConnection() throws Exception {
        mps("mps.test", "ip:127.0.0.1");
        tunnel(MpsTrust.pins(MpsTrust.sha256Hex(leaf)));
        Peer mps = new Peer((SSLSocket) server.accept());
        mps.next();
        mps.next();
        mps.send(new ApfMessage.ServiceAccept("auth@amt.intel.com"));
        mps.next();
        // MeshCentral's 15 bytes
        mps.out.write(java.util.HexFormat.of().parseHex("330000000870617373776f72640000"));
        mps.out.flush();
        String error = end.get(10, TimeUnit.SECONDS);
        assertTrue(error.contains("the MPS refused the login (user name 3IOvX4x5EVB20sBP or password)"), error);
        try {
            assertEquals(null, mps.next());
        } catch (SocketTimeoutException | javax.net.ssl.SSLException closed) {
            // closed
        }
    }
}
