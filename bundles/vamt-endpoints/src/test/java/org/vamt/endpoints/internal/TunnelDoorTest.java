package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.digest.DigestSession;
import org.vamt.security.internal.TestSecurity;

/**
 * A tunnelled stream (what a CIRA channel carries) is served by the same door as a listener: the
 * VM it names picks the endpoint, whatever the Host header says; Digest with that VM's realm; the
 * handler sees the VM and user; 401 closes the connection; an authenticated connection persists.
 */
class TunnelDoorTest {
    static final String VM = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    static final String OTHER = "66e3ae13-bfd2-61bb-17a0-88aedd7037eb";
    static final String PASSWORD = "P@ssw0rd-door";
    static final InetSocketAddress MPS = new InetSocketAddress("127.0.0.9", 4433);

    final List<String> handled = new CopyOnWriteArrayList<>();
    final EndpointPathHandler echo = call -> {
        handled.add(call.context().machineId() + " " + call.context().user() + " " + call.remoteAddress() + " "
                + new String(call.body(), StandardCharsets.UTF_8));
        return new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, "ok");
    };
    TestTransport transport;

    /** The peer's end of one stream: what the door sent, and whether it closed. */
    static final class Peer implements TunnelDoor.Sink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public synchronized void send(ByteBuffer bytes) {
            byte[] b = new byte[bytes.remaining()];
            bytes.get(b);
            out.write(b, 0, b.length);
            notifyAll();
        }

        @Override
        public void closed() {
            closed.countDown();
        }

        synchronized String awaitContaining(String text) throws InterruptedException {
            long end = System.nanoTime() + 10_000_000_000L;
            while (!out.toString(StandardCharsets.ISO_8859_1).contains(text) && System.nanoTime() < end) {
                wait(100);
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @BeforeEach
    void start() {
        UserDirectory admin = new UserDirectory() {
            @Override
            public Optional<String> ha1(String user, String machineId, String realm) {
                return user.equals("admin") ? Optional.of(DigestMath.ha1(user, realm, PASSWORD)) : Optional.empty();
            }

            @Override
            public boolean permits(String user, String machineId, int realm) {
                return user.equals("admin");
            }
        };
        transport = new TestTransport(TestSecurity.create(admin, 5, 60_000, 600_000, e -> { }), 65536, 4, 200, 5_000)
                .machine(OTHER, "other").machine(VM, "desktop-01").serve(echo, "/wsman");
    }

    @AfterEach
    void stop() {
        transport.close();
    }

    private static void send(TunnelDoor.Stream s, String text) {
        // in small pieces, as CHANNEL_DATA may split it anywhere
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < b.length; i += 7) {
            s.received(ByteBuffer.wrap(b, i, Math.min(7, b.length - i)));
        }
    }

    @Test
    void aTunnelledStreamIsServedByTheDoorOfItsVm() throws Exception {
        TunnelDoor door = transport.tunnels();
        Peer first = new Peer();
        TunnelDoor.Stream s = door.open(VM, 16992, MPS, first).orElseThrow();
        send(s, "POST /wsman HTTP/1.1\r\nHost: 55e3ae13-bfd2-61bb-17a0-88aedd7037ea:16992\r\nContent-Length: 0\r\n\r\n");
        String challenge = first.awaitContaining("</html>");
        assertTrue(challenge.endsWith("</html>") && challenge.contains("Content-Length"), challenge);
        assertTrue(challenge.startsWith("HTTP/1.1 401"), challenge);
        assertTrue(challenge.contains("Server: Intel(R) Active Management Technology 16.1.30.2307"), challenge);
        assertTrue(challenge.contains("realm=\"Digest:55E3AE13BFD261BB17A088AEDD7037EA\""), "the VM's realm: "
                + challenge);
        assertTrue(first.closed.await(10, TimeUnit.SECONDS), "AMT closes the connection after a 401");
        String header = challenge.lines().filter(l -> l.startsWith("WWW-Authenticate:")).findFirst().orElseThrow();
        DigestSession digest = new DigestSession("admin", PASSWORD);
        assertTrue(digest.learn(header.substring(header.indexOf(':') + 1).trim()));

        Peer second = new Peer();
        TunnelDoor.Stream s2 = door.open(VM, 16992, MPS, second).orElseThrow();
        send(s2, "POST /wsman HTTP/1.1\r\nHost: 11111111-bfd2-61bb-17a0-88aedd7037ea:16992\r\nAuthorization: "
                + digest.authorization("POST", "/wsman") + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        String r = second.awaitContaining("\r\n0\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        // chunked, as DMT's MPS needs to see an answer's end; AMT's Server header
        assertTrue(r.contains("Transfer-Encoding: chunked") && !r.contains("Content-Length"), r);
        assertTrue(r.contains("Server: Intel(R) Active Management Technology 16.1.30.2307"), r);
        assertTrue(r.contains("\r\n\r\n2\r\nok\r\n0\r\n\r\n"), r);
        send(s2, "POST /wsman HTTP/1.1\r\nHost: 11111111-bfd2-61bb-17a0-88aedd7037ea:16992\r\nAuthorization: "
                + digest.authorization("POST", "/wsman") + "\r\nContent-Length: 5\r\n\r\nagain");
        r = second.awaitContaining("0\r\n\r\nHTTP/1.1 200");
        r = second.awaitContaining("ok\r\n0\r\n\r\n".repeat(1) + "");
        assertEquals(List.of(VM + " admin 127.0.0.9 hello", VM + " admin 127.0.0.9 again"), handled,
                "the VM named by the tunnel, not by the Host header; the MPS is the client address");
        assertEquals(1, second.closed.getCount(), "an authenticated connection stays open: " + r);
        s2.close();
        assertTrue(second.closed.await(10, TimeUnit.SECONDS));
    }

    /**
     * Every Digest exchange through a tunnel starts with a 401 that closes its channel (as AMT does).
     * A closed tunnelled connection must leave the connection guard: it counted against the VM's
     * unauthenticated connections (32 here) for ever, so the VM refused every channel after the
     * 32nd 401, and the guard kept every connection (Jetty objects, buffers, the tunnel behind them)
     * for the life of the process (found by the CIRA fleet benchmark: heap growing with every
     * reconnect of the fleet).
     */
    @Test
    void closedTunnelStreamsLeaveTheConnectionGuard() throws Exception {
        TunnelDoor door = transport.tunnels();
        for (int i = 0; i < 40; i++) {
            Peer p = new Peer();
            TunnelDoor.Stream s = door.open(VM, 16992, MPS, p).orElseThrow();
            send(s, "POST /wsman HTTP/1.1\r\nHost: 55e3ae13-bfd2-61bb-17a0-88aedd7037ea:16992\r\n"
                    + "Content-Length: 0\r\n\r\n");
            String r = p.awaitContaining("</html>");
            assertTrue(r.startsWith("HTTP/1.1 401"), "channel " + (i + 1) + " of the VM not answered: " + r);
            assertTrue(p.closed.await(10, TimeUnit.SECONDS), "AMT closes the connection after a 401");
            s.close();   // the MPS's CHANNEL_CLOSE
        }
        // the last channel's connection closes on Jetty's thread, after its 401 went out: wait for it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((transport.tunnelConnections() > 0 || transport.door().guard().unauthenticatedConnections() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, transport.tunnelConnections());
        assertEquals(0, transport.door().guard().unauthenticatedConnections(),
                "closed tunnelled connections still counted by the guard");
    }

    @Test
    void aVmWithoutAnEndpointOrAnotherPortIsRefused() {
        TunnelDoor door = transport.tunnels();
        assertTrue(door.open("11111111-2222-3333-4444-555555555555", 16992, MPS, new Peer()).isEmpty());
        assertTrue(door.open(VM, 623, MPS, new Peer()).isEmpty());
        assertTrue(door.open(VM, 16993, MPS, new Peer()).isEmpty(), "no TLS identity: no TLS port");
    }

    /**
     * 16993 through a tunnel: the TLS handshake runs inside the stream with the VM's TLS identity
     * (MeshCentral's web relay does this when 16992 is not forwarded), then the same door answers.
     */
    @Test
    void tlsInsideATunnelIsServedWithTheVmsIdentity(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        org.vamt.tls.TlsIdentity identity = identityIn(dir);
        TunnelDoor door = transport.tunnels(identity);
        Peer peer = new Peer();
        TunnelDoor.Stream s = door.open(VM, 16993, MPS, peer).orElseThrow();
        RecordingTlsClient trust = new RecordingTlsClient();
        javax.net.ssl.SSLContext ctx = trust.context();
        TlsClient client = new TlsClient(ctx.createSSLEngine("vm", 16993), s, peer);
        client.send("POST /wsman HTTP/1.1\r\nHost: " + VM + ":16993\r\nContent-Length: 0\r\n\r\n");
        String answer = client.receiveUntil("</html>");
        assertTrue(answer.startsWith("HTTP/1.1 401"), answer);
        assertTrue(answer.contains("realm=\"Digest:55E3AE13BFD261BB17A088AEDD7037EA\""), answer);
        assertEquals(identity.certificate(), trust.seen(), "the VM's TLS identity");
    }

    static org.vamt.tls.TlsIdentity identityIn(java.nio.file.Path dir) throws Exception {
        org.vamt.tls.internal.TlsIdentityComponent.Config config =
                (org.vamt.tls.internal.TlsIdentityComponent.Config) java.lang.reflect.Proxy.newProxyInstance(
                TunnelDoorTest.class.getClassLoader(),
                new Class<?>[] {org.vamt.tls.internal.TlsIdentityComponent.Config.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "keystore" -> dir.resolve("vamt-tls.p12").toString();
                    case "passwordFile" -> dir.resolve("vamt-tls.password").toString();
                    default -> method.getDefaultValue();
                });
        return new org.vamt.tls.internal.TlsIdentityComponent(config);
    }

    /** A TLS client driven by hand over a tunnelled stream (an SSLEngine, as an MPS's relay would). */
    static final class TlsClient {
        final javax.net.ssl.SSLEngine engine;
        final TunnelDoor.Stream stream;
        final Peer peer;
        int consumed;
        ByteBuffer netIn = ByteBuffer.allocate(1 << 17);
        final ByteArrayOutputStream app = new ByteArrayOutputStream();

        TlsClient(javax.net.ssl.SSLEngine engine, TunnelDoor.Stream stream, Peer peer) throws Exception {
            this.engine = engine;
            this.stream = stream;
            this.peer = peer;
            engine.setUseClientMode(true);
            engine.beginHandshake();
            pump(ByteBuffer.allocate(0));
        }

        /** Drives the engine until the handshake is done and {@code out} is sent. */
        private void pump(ByteBuffer out) throws Exception {
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            ByteBuffer appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() * 2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                javax.net.ssl.SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                } else if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_WRAP || (out.hasRemaining()
                        && hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING)) {
                    net.clear();
                    engine.wrap(out, net);
                    net.flip();
                    stream.received(net);
                } else if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_UNWRAP) {
                    if (!unwrapOnce(appIn)) {
                        Thread.sleep(10);
                    }
                } else {
                    return;   // handshake done and nothing (more) to send
                }
            }
            throw new AssertionError("TLS inside the tunnel did not complete");
        }

        /** Unwraps what the door sent so far; false when it was not enough for a record. */
        private boolean unwrapOnce(ByteBuffer appIn) throws Exception {
            byte[] all;
            synchronized (peer) {
                all = peer.out.toByteArray();
            }
            if (all.length > consumed) {
                netIn.put(all, consumed, all.length - consumed);
                consumed = all.length;
            }
            netIn.flip();
            javax.net.ssl.SSLEngineResult r = engine.unwrap(netIn, appIn);
            netIn.compact();
            appIn.flip();
            byte[] b = new byte[appIn.remaining()];
            appIn.get(b);
            app.writeBytes(b);
            appIn.clear();
            return r.getStatus() != javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW;
        }

        void send(String text) throws Exception {
            pump(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
        }

        String receiveUntil(String end) throws Exception {
            ByteBuffer appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() * 2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!app.toString(StandardCharsets.ISO_8859_1).contains(end) && System.nanoTime() < deadline) {
                if (!unwrapOnce(appIn)) {
                    Thread.sleep(10);
                }
            }
            return app.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
