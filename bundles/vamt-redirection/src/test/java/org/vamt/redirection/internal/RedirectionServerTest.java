package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.security.AmtRealm;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.RequestContext;
import org.vamt.provider.redirection.internal.OptInServiceProvider;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.redirection.RedirectionSettings;
import org.vamt.provider.redirection.RedirectionSessions;
import org.vamt.endpoints.Endpoints;
import org.vamt.endpoints.internal.RecordingTlsClient;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;

/**
 * The listener over real sockets, with the real user store and the libvirt test driver (which has
 * no serial consoles, so SOL gets as far as the power-state report): per-VM state honoured,
 * Digest, realms, limits, busy and TerminateSession.
 */
class RedirectionServerTest {
    static final String PASSWORD = "Redir-Test-Passw0rd!";
    static final String ADDRESS = "127.0.0.2";
    static final String REALM = "Digest:6F8C1A524B1E4D6A9A01000000000004";

    @TempDir
    Path etc;
    DemoHypervisor demo;
    Hypervisor hv;
    UserStore users;
    RedirectionServer server;
    int port;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        users.add("viewer", "Viewer-Passw0rd!".toCharArray(), Set.of(AmtRealm.HARDWARE_ASSET), Set.of("*"));
        users.add("operator", "Operator-Passw0rd!".toCharArray(), Set.of(AmtRealm.REDIRECTION), Set.of("*"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = new RedirectionServer(hv, TestSecurity.create(users, 3, 60_000, 600_000, e -> { }), endpoints(), config(port, false), null);
    }

    @AfterEach
    void stop() {
        server.deactivate();
        demo.close();
    }

    /** The one endpoint (the kiosk VM at {@link #ADDRESS}), for the other tests of this package. */
    Endpoints endpointsForTests() {
        return endpoints();
    }

    private static Endpoints endpoints() {
        Endpoints.Endpoint kiosk = new Endpoints.Endpoint(KIOSK, "kiosk", ADDRESS, 16992, "kiosk", REALM,
                "http://" + ADDRESS + ":16992/wsman");
        return new Endpoints() {
            @Override
            public List<Endpoint> endpoints() {
                return List.of(kiosk);
            }

            @Override
            public java.util.Optional<Endpoint> route(String localAddress, int localPort, boolean secure,
                                                      String hostHeader) {
                return ADDRESS.equals(localAddress) ? java.util.Optional.of(kiosk) : java.util.Optional.empty();
            }

            @Override
            public Endpoint move(String uuid, String address) {
                throw new UnsupportedOperationException();
            }
        };
    }

    static RedirectionServer.Config config(int port, boolean plain) {
        Map<String, Object> values = Map.of("bindAddress", "0.0.0.0", "port", port, "tlsPort", 0,
                "allowPlainAuth", plain, "maxSessionsPerVm", 3, "maxSessions", 16, "authTimeoutSeconds", 5,
                "idleTimeoutSeconds", 30);
        return TestConfigs.of(RedirectionServer.Config.class, values);
    }

    private void enableListener() throws Exception {
        new StateStore<>(hv, RedirectionSettings.STATE).update(KIOSK, s -> s.withListenerEnabled(true));
    }

    /** A console: connects, starts a session of {@code type} and returns the start reply status. */
    /** What a console sees a running kiosk answer to SOL's start: 0x21, then the controls with power on. */
    static void startSolOnTheRunningKiosk(SolSend send, DataInputStream in) throws IOException {
        byte[] solStart = new byte[24];
        solStart[0] = 0x20;
        solStart[4] = 1;
        send.write(solStart);
        byte[] reply = new byte[23];
        in.readFully(reply);
        assertEquals(0x21, reply[0]);
        byte[] controls = new byte[10];
        in.readFully(controls);
        assertEquals(Messages.SOL_STATUS_POWER_ON, controls[9], "the kiosk VM runs");
    }

    @FunctionalInterface
    interface SolSend {
        void write(byte[] message) throws IOException;
    }

    static final class Console implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;

        Console(int port) throws IOException {
            this(new Socket(ADDRESS, port));
        }

        Console(Socket connected) throws IOException {
            socket = connected;
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
        }

        int start(String type) throws IOException {
            byte[] m = {0x10, 0, 0, 0, 0, 0, 0, 0};
            System.arraycopy(type.getBytes(), 0, m, 4, 4);
            socket.getOutputStream().write(m);
            int kind = in.readUnsignedByte();
            assertEquals(0x11, kind);
            int status = in.readUnsignedByte();
            in.readFully(new byte[status == 0 ? 11 : 2]);
            return status;
        }

        byte[] authenticate(byte[] message) throws IOException {
            socket.getOutputStream().write(message);
            byte[] head = new byte[9];
            in.readFully(head);
            byte[] reply = new byte[9 + Messages.getInt(head, 5)];
            System.arraycopy(head, 0, reply, 0, 9);
            in.readFully(reply, 9, reply.length - 9);
            return reply;
        }

        /** Digest as MeshCentral does it; returns the final reply's status. */
        int digestLogin(String user, String password) throws IOException {
            byte[] challenge = authenticate(SessionAuthenticatorTest.message(4,
                    List.of(user, "", "", "/RedirectionService", "", "", "", "")));
            List<String> c = SessionAuthenticatorTest.fields(challenge);
            String ha1 = DigestMath.md5Hex(user + ":" + c.get(0) + ":" + password);
            String response = DigestMath.md5Hex(ha1 + ":" + c.get(1) + ":00000002:cafe:auth:"
                    + DigestMath.md5Hex("POST:/RedirectionService"));
            return authenticate(SessionAuthenticatorTest.message(4, List.of(user, c.get(0), c.get(1),
                    "/RedirectionService", "cafe", "00000002", response, "auth")))[1];
        }

        boolean closedByServer() throws IOException {
            try {
                return in.read() < 0;
            } catch (java.net.SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * Through a CIRA channel to 16994 (issue 20): the VM named by the tunnel, the same session code —
     * the listener flag, Digest login with the VM's realm, SOL with the VM's power state.
     */
    @Test
    void aTunnelledConnectionIsTheSameSessionAsOneOnTheListener() throws Exception {
        java.net.InetSocketAddress mps = new java.net.InetSocketAddress("127.0.0.9", 4433);
        try (TunnelConsole refused = new TunnelConsole(server, mps)) {
            assertTrue(refused.closed.await(10, java.util.concurrent.TimeUnit.SECONDS),
                    "closed: ListenerEnabled is false by default");
        }
        assertTrue(server.open("11111111-2222-3333-4444-555555555555", 16994, mps, new TunnelConsole.Collector())
                .isEmpty(), "no such VM");
        assertTrue(server.open(KIOSK, 16993, mps, new TunnelConsole.Collector()).isEmpty(), "not a redirection port");
        enableListener();
        try (TunnelConsole c = new TunnelConsole(server, mps)) {
            c.write(new byte[] {0x10, 0, 0, 0, 'S', 'O', 'L', ' '});
            assertEquals(0x11, c.in.readUnsignedByte());
            assertEquals(0, c.in.readUnsignedByte());
            c.in.readFully(new byte[11]);
            c.write(SessionAuthenticatorTest.message(4, List.of("admin", "", "", "/RedirectionService", "", "", "", "")));
            byte[] head = new byte[9];
            c.in.readFully(head);
            byte[] challenge = new byte[9 + Messages.getInt(head, 5)];
            System.arraycopy(head, 0, challenge, 0, 9);
            c.in.readFully(challenge, 9, challenge.length - 9);
            List<String> f = SessionAuthenticatorTest.fields(challenge);
            assertEquals(REALM, f.get(0), "the VM's realm");
            String ha1 = DigestMath.md5Hex("admin:" + f.get(0) + ":" + PASSWORD);
            String response = DigestMath.md5Hex(ha1 + ":" + f.get(1) + ":00000002:cafe:auth:"
                    + DigestMath.md5Hex("POST:/RedirectionService"));
            c.write(SessionAuthenticatorTest.message(4, List.of("admin", f.get(0), f.get(1), "/RedirectionService",
                    "cafe", "00000002", response, "auth")));
            c.in.readFully(head);
            assertEquals(0, head[1], "logged in");
            c.in.readFully(new byte[Messages.getInt(head, 5)]);
            startSolOnTheRunningKiosk(c::write, c.in);
            assertTrue(server.isOpen(KIOSK, RedirectionSessions.Kind.SOL));
        }
    }

    /**
     * Through a CIRA channel to 16995: TLS inside the channel with the TLS port's identity, then the
     * same session. The MPS's end of the channel is a loopback socket the test relays, so that the
     * console is an ordinary client SSLSocket.
     */
    @Test
    void redirectionOverTlsThroughATunnelPresentsTheTlsIdentity(@TempDir Path tlsDir) throws Exception {
        assertTrue(server.open(KIOSK, 16995, new java.net.InetSocketAddress("127.0.0.9", 4433),
                new TunnelConsole.Collector()).isEmpty(), "no TLS identity: 16995 is refused, as the TLS port is off");
        org.vamt.tls.TlsIdentity identity = new org.vamt.tls.internal.TlsIdentityComponent(TestConfigs.of(
                org.vamt.tls.internal.TlsIdentityComponent.Config.class,
                Map.of("keystore", tlsDir.resolve("vamt-tls.p12").toString(),
                        "passwordFile", tlsDir.resolve("vamt-tls.password").toString())));
        server.deactivate();
        server = new RedirectionServer(hv, TestSecurity.create(users, 3, 60_000, 600_000, e -> { }), endpoints(),
                config(port, false), identity);
        enableListener();
        RecordingTlsClient trust = new RecordingTlsClient();
        javax.net.ssl.SSLContext ctx = trust.context();
        try (ServerSocket mpsEnd = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket()) {
            tls.connect(mpsEnd.getLocalSocketAddress(), 5000);
            Socket relay = mpsEnd.accept();
            org.vamt.endpoints.TunnelDoor.Stream stream = server.open(KIOSK, 16995,
                    new java.net.InetSocketAddress("127.0.0.9", 4433), new org.vamt.endpoints.TunnelDoor.Sink() {
                        @Override
                        public void send(java.nio.ByteBuffer bytes) {
                            byte[] b = new byte[bytes.remaining()];
                            bytes.get(b);
                            try {
                                relay.getOutputStream().write(b);
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        }

                        @Override
                        public void closed() {
                            try {
                                relay.close();
                            } catch (IOException ignored) {
                                // gone
                            }
                        }
                    }).orElseThrow();
            Thread pump = new Thread(() -> {
                byte[] b = new byte[4096];
                try {
                    for (int n; (n = relay.getInputStream().read(b)) > 0; ) {
                        stream.received(java.nio.ByteBuffer.wrap(b, 0, n));
                    }
                } catch (IOException e) {
                    // relay closed
                }
                stream.close();
            });
            pump.setDaemon(true);
            pump.start();
            try (Console c = new Console(tls)) {
                tls.startHandshake();
                assertEquals(identity.certificate(), trust.seen(), "the TLS port's identity inside the channel");
                assertEquals(0, c.start("SOL "));
                assertEquals(0, c.digestLogin("admin", PASSWORD), "Digest with the VM's realm, inside TLS");
                startSolOnTheRunningKiosk(tls.getOutputStream()::write, c.in);
                assertTrue(server.isOpen(KIOSK, RedirectionSessions.Kind.SOL));
            }
        }
    }

    /** A console at the MPS's end of a channel: what it writes goes into the door's stream. */
    static final class TunnelConsole implements AutoCloseable {
        /** The door's output, readable as a stream; and whether the door closed. */
        static final class Collector implements org.vamt.endpoints.TunnelDoor.Sink {
            final java.io.PipedInputStream pipe = new java.io.PipedInputStream(1 << 16);
            final java.io.PipedOutputStream feed;
            final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

            Collector() {
                try {
                    feed = new java.io.PipedOutputStream(pipe);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void send(java.nio.ByteBuffer bytes) {
                byte[] b = new byte[bytes.remaining()];
                bytes.get(b);
                try {
                    feed.write(b);
                    feed.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void closed() {
                closed.countDown();
                try {
                    feed.close();
                } catch (IOException ignored) {
                    // gone
                }
            }
        }

        final Collector out = new Collector();
        final org.vamt.endpoints.TunnelDoor.Stream stream;
        final DataInputStream in = new DataInputStream(out.pipe);
        final java.util.concurrent.CountDownLatch closed = out.closed;

        TunnelConsole(RedirectionServer server, java.net.InetSocketAddress mps) {
            stream = server.open(KIOSK, 16994, mps, out).orElseThrow();
        }

        void write(byte[] b) {
            stream.received(java.nio.ByteBuffer.wrap(b));
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    @Test
    void aVmWhoseListenerIsDisabledHasItsPortClosed() throws Exception {
        try (Console c = new Console(port)) {
            assertTrue(c.closedByServer(), "ListenerEnabled is false by default, as on a fresh AMT");
        }
    }

    @Test
    void solLogsInWithDigestAndReportsTheVmsPower() throws Exception {
        enableListener();
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            byte[] query = c.authenticate(SessionAuthenticatorTest.message(0, List.of()));
            assertArrayEquals(new byte[] {3, 4}, java.util.Arrays.copyOfRange(query, 9, query.length));
            assertEquals(0, c.digestLogin("admin", PASSWORD));
            byte[] solStart = new byte[24];
            solStart[0] = 0x20;
            solStart[4] = 1;
            c.socket.getOutputStream().write(solStart);
            byte[] reply = new byte[23];
            c.in.readFully(reply);
            assertEquals(0x21, reply[0]);
            assertEquals(0, reply[1]);
            byte[] controls = new byte[10];
            c.in.readFully(controls);
            assertEquals(0x29, controls[0]);
            assertEquals(Messages.SOL_STATUS_POWER_ON, controls[9], "the kiosk VM runs");
            assertTrue(server.isOpen(KIOSK, RedirectionSessions.Kind.SOL));

            try (Console second = new Console(port)) {
                assertEquals(Messages.STATUS_BUSY, second.start("SOL "), "one SOL session per VM");
            }
            try (Console kvm = new Console(port)) {
                assertEquals(0, kvm.start("KVMR"), "KVM is a session of its own");
            }

            assertTrue(server.terminate(KIOSK, RedirectionSessions.Kind.SOL), "AMT_RedirectionService.TerminateSession");
            assertTrue(c.closedByServer());
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (server.isOpen(KIOSK, RedirectionSessions.Kind.SOL) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(server.isOpen(KIOSK, RedirectionSessions.Kind.SOL));
    }

    /**
     * An IDE-R session through the listener: start, Digest login, the open-session reply a console
     * checks (sequence 0, protocol 0, buffer sizes), one session per VM, and TerminateSession's end.
     */
    @Test
    void iderSessionOpensAndIsTerminatedOnRequest() throws Exception {
        enableListener();
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_OK, c.start("IDER"));
            assertEquals(0, c.digestLogin("admin", PASSWORD));
            c.socket.getOutputStream().write(new byte[] {0x40, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x75, 0, 0, 0x20, 0x4e,
                1, 0, 0, 0});
            byte[] reply = new byte[30];
            c.in.readFully(reply);
            assertEquals(0x41, reply[0]);
            assertEquals(0, Messages.getInt(reply, 4), "the first IDE-R message has sequence 0");
            assertEquals(1, reply[8], "protocol 1.0");
            assertEquals(8192, Messages.getShort(reply, 16), "read buffer");
            assertEquals(0, reply[21], "IDE-R protocol 0, which consoles require");
            assertEquals(343, Messages.getInt(reply, 25), "Intel's IANA number");
            long deadline = System.currentTimeMillis() + 5000;
            while (!server.isOpen(KIOSK, RedirectionSessions.Kind.IDER) && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            try (Console second = new Console(port)) {
                assertEquals(Messages.STATUS_BUSY, second.start("IDER"), "one IDE-R session per VM");
            }
            assertTrue(server.terminate(KIOSK, RedirectionSessions.Kind.IDER), "AMT_RedirectionService.TerminateSession(0)");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void disabledFeaturesAreRefusedAtTheStart() throws Exception {
        enableListener();
        new StateStore<>(hv, RedirectionSettings.STATE).update(KIOSK, s -> s.withSolIderState(32769));   // IDE-R only
        new StateStore<>(hv, RedirectionSettings.STATE).update(KIOSK, s -> s.withKvmEnabled(false));
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_UNSUPPORTED, c.start("SOL "));
        }
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_UNSUPPORTED, c.start("KVMR"));
        }
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_OK, c.start("IDER"), "IDE-R is enabled");
        }
        new StateStore<>(hv, RedirectionSettings.STATE).update(KIOSK, s -> s.withSolIderState(32770));   // SOL only
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_UNSUPPORTED, c.start("IDER"), "IDE-R is disabled");
        }
        try (Console c = new Console(port)) {
            assertEquals(Messages.STATUS_TYPE_UNKNOWN, c.start("XYZW"));
        }
    }

    @Test
    void wrongPasswordsUsersWithoutTheRedirectionRealmAndPlainPasswordsAreRefused() throws Exception {
        enableListener();
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            assertEquals(Messages.AUTH_FAILURE, c.digestLogin("viewer", "Viewer-Passw0rd!"), "no redirection realm");
            assertTrue(c.closedByServer(), "a failure ends the session");
        }
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            assertEquals(Messages.AUTH_SUCCESS, c.digestLogin("operator", "Operator-Passw0rd!"));
        }
        // the server sees that SOL session end when it reads the close: until then a new one is busy
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (server.isOpen(KIOSK, RedirectionSessions.Kind.SOL) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(server.isOpen(KIOSK, RedirectionSessions.Kind.SOL), "the closed SOL session ended within 10 s");
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            byte[] plain = c.authenticate(SessionAuthenticatorTest.message(1, List.of("admin", PASSWORD)));
            assertEquals(Messages.AUTH_NOT_SUPPORTED, plain[1], "allowPlainAuth is off");
        }
    }

    @Test
    void repeatedFailuresLockTheUserOutFromThatAddressAsOnEveryProtocol() throws Exception {
        enableListener();
        for (int i = 0; i < 3; i++) {
            try (Console c = new Console(port)) {
                assertEquals(0, c.start("SOL "));
                assertEquals(Messages.AUTH_FAILURE, c.digestLogin("admin", "guess-" + i));
            }
        }
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            assertEquals(Messages.AUTH_FAILURE, c.digestLogin("admin", PASSWORD),
                    "locked out by the shared lockout: not even the right password");
        }
    }

    @Test
    void plainPasswordsWorkWhenConfigured() throws Exception {
        server.deactivate();
        server = new RedirectionServer(hv, TestSecurity.create(users, 3, 60_000, 600_000, e -> { }), endpoints(), config(port, true), null);
        enableListener();
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("SOL "));
            assertEquals(Messages.AUTH_SUCCESS,
                    c.authenticate(SessionAuthenticatorTest.message(1, List.of("admin", PASSWORD)))[1]);
        }
    }

    @Test
    void connectionsThatDoNotLogInCannotKeepAConsoleOut() throws Exception {
        enableListener();
        try (Console a = new Console(port); Console b = new Console(port); Console c = new Console(port)) {
            assertEquals(0, a.start("SOL "));
            assertEquals(0, b.start("KVMR"));
            assertEquals(0, c.start("KVMR"));
            // maxSessionsPerVm = 3, all taken by connections that never log in: the console still gets in,
            // the oldest of them makes room
            try (Console console = new Console(port)) {
                assertEquals(0, console.start("SOL "));
                assertEquals(Messages.AUTH_SUCCESS, console.digestLogin("operator", "Operator-Passw0rd!"));
                assertTrue(a.closedByServer(), "the oldest connection not logged in was closed");
                // the logged-in console is never the one pushed out
                try (Console d = new Console(port); Console e = new Console(port); Console f = new Console(port)) {
                    assertEquals(0, f.start("KVMR"));
                    assertTrue(b.closedByServer() && c.closedByServer() && d.closedByServer());
                    assertEquals(0, e.start("KVMR"));
                }
                assertFalse(console.socket.isClosed());
            }
        }
    }

    @Test
    void startAndLoginHaveATotalDeadlineThatDrippingBytesDoNotExtend() throws Exception {
        enableListener();
        try (Console slow = new Console(port)) {
            assertEquals(0, slow.start("SOL "));
            long t0 = System.nanoTime();
            // an AuthenticateSession announcing 200 bytes of data, sent one byte a second
            slow.socket.getOutputStream().write(new byte[] {0x13, 0, 0, 0, 4, (byte) 200, 0, 0, 0});
            boolean closed = false;
            for (int i = 0; i < 12 && !closed; i++) {
                Thread.sleep(1_000);
                try {
                    slow.socket.getOutputStream().write('x');
                } catch (IOException gone) {
                    closed = true;
                }
            }
            if (!closed) {
                closed = slow.closedByServer();
            }
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(closed, "closed by the deadline");
            assertTrue(seconds <= 8, "authTimeoutSeconds = 5 in all, not per byte: closed after " + seconds + " s");
        }
    }

    @Test
    void kvmWaitsForTheUserConsentCodeWhenThePolicyAsksForIt() throws Exception {
        enableListener();
        new StateStore<>(hv, RedirectionSettings.STATE).update(KIOSK, s -> s.withConsent(1, s.optInDisplayTimeout()));
        OptInServiceProvider optIn = new OptInServiceProvider(hv);
        server.consentCodes = optIn;
        byte[] kvmStart = {0x40, 0, 0, 0, 0, 0, 0, 0};
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("KVMR"));
            assertEquals(0, c.digestLogin("admin", PASSWORD));
            c.socket.getOutputStream().write(kvmStart);
            assertTrue(c.closedByServer(), "no consent: no 0x41, the session ends");
        }
        // the console's consent exchange: StartOptIn, the code the operator reads out, SendOptInCode
        RequestContext ctx = new RequestContext(KIOSK, "kiosk", "admin", REALM);
        CimObjectPath service = CimObjectPath.of("IPS_OptInService");
        assertEquals(0, optIn.invokeMethod(ctx, service, "StartOptIn", Map.of()).returnValue());
        long code = Long.parseLong(optIn.displayedCode(KIOSK).orElseThrow().code());
        assertEquals(0, optIn.invokeMethod(ctx, service, "SendOptInCode", Map.of("OptInCode", code)).returnValue());
        try (Console c = new Console(port)) {
            assertEquals(0, c.start("KVMR"));
            assertEquals(0, c.digestLogin("admin", PASSWORD));
            c.socket.getOutputStream().write(kvmStart);
            // the test driver's VM has no VNC display, so the session ends here too, but it took the consent
            assertTrue(c.closedByServer());
        }
        assertFalse(optIn.beginConsentedSession(KIOSK), "the consent was used by the session");
    }
}
