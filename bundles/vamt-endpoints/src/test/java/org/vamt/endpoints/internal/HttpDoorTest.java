package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.digest.DigestSession;
import org.vamt.security.internal.TestSecurity;

/**
 * The door over a real Jetty: bodies it cannot read and requests CXF refuses get a 400 with AMT's
 * Server header and no Java names, never a 200 or a Jetty error page (issue 17, defects 7 and 8).
 */
class HttpDoorTest {
    static final String VM = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    static final String PASSWORD = "P@ssw0rd-door";
    static final String SERVER = "Server: Intel(R) Active Management Technology 16.1.30.2307";

    final List<String> handled = new CopyOnWriteArrayList<>();
    final EndpointPathHandler echo = call -> {
        handled.add(new String(call.body(), StandardCharsets.UTF_8));
        return new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, "ok");
    };
    /** A web page: GET and form POST, answers with its method, query and a header of its own. */
    final EndpointPathHandler page = new EndpointPathHandler() {
        @Override
        public java.util.Set<String> methods() {
            return java.util.Set.of("GET", "POST");
        }

        @Override
        public Reply handle(Call call) {
            handled.add(call.method() + " " + call.query() + " " + call.context().user());
            return new Reply(200, "text/html; charset=UTF-8", "<p>page</p>",
                    java.util.Map.of("Cache-Control", "no-store", "Server", "not AMT"));
        }
    };
    TestTransport transport;
    int port;
    DigestSession digest;

    @BeforeEach
    void start() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
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
                .machine(VM, "desktop-01").serve(echo, "/echo").serve(page, "/page")
                .listen(port);
        digest = new DigestSession("admin", PASSWORD);
        String challenge = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        String header = challenge.lines().filter(l -> l.startsWith("WWW-Authenticate:")).findFirst().orElseThrow();
        assertTrue(digest.learn(header.substring(header.indexOf(':') + 1).trim()), challenge);
    }

    @AfterEach
    void stop() {
        transport.close();
    }

    private String exchange(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.2", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private String authorized(String headersAndBody) {
        return "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: " + digest.authorization("POST", "/echo") + "\r\n"
                + headersAndBody;
    }

    @Test
    void aGoodRequestReachesTheHandler() throws IOException {
        String r = exchange(authorized("Content-Length: 5\r\nConnection: close\r\n\r\nhello"));
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        assertEquals(List.of("hello"), handled);
    }

    @Test
    void aMalformedChunkedBodyIs400NotAnEmpty200() throws IOException {
        String r = exchange(authorized("Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"));
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        assertTrue(r.contains(SERVER), r);
        assertTrue(handled.isEmpty(), "the handler never saw it");
    }

    @Test
    void aBodyThatStopsShortIs400() throws IOException {
        String r = exchange(authorized("Content-Length: 500\r\n\r\nonly a part of it"));
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        assertTrue(handled.isEmpty());
    }

    @Test
    void anUnknownCharsetIs400WithAmtsServerHeaderAndNoJavaNames() throws IOException {
        String r = exchange(authorized("Content-Type: application/soap+xml;charset=nope-9\r\nContent-Length: 5\r\n"
                + "Connection: close\r\n\r\nhello"));
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        assertTrue(r.contains(SERVER), r);
        assertFalse(r.contains("java") || r.contains("Exception") || r.contains("<html"), r);
    }

    @Test
    void aLargeBodyWithoutCredentialsGetsTheChallengeUnread() throws IOException {
        try (Socket s = new Socket("127.0.0.2", port)) {
            s.setSoTimeout(3_000);
            s.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly this")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            assertEquals("HTTP/1.1 401", status, "answered at once, the 100,000 bytes never awaited");
        }
    }

    @Test
    void slowBodiesWithoutCredentialsDoNotHoldTheDoor() throws Exception {
        List<Socket> drippers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                // from an address of their own: the authenticated client below is not theirs to crowd out
                Socket s = new Socket(java.net.InetAddress.getByName("127.0.0.2"), port,
                        java.net.InetAddress.getByName("127.0.0.5"), 0);
                // small enough to be an Identify, so the door would read it: 10 of 1,000 bytes, then nothing
                s.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + (i % 2 == 0 ? 1000 : 200000) + "\r\n\r\n0123456789").getBytes(StandardCharsets.ISO_8859_1));
                drippers.add(s);
            }
            // authenticated requests back to back for 2.5 s, longer than the drippers' 2 s of allowed silence
            long end = System.nanoTime() + 2_500_000_000L;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                String r = exchange(authorized("Content-Length: 5\r\nConnection: close\r\n\r\nhello"));
                long millis = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(r.startsWith("HTTP/1.1 200"), r);
                assertTrue(millis < 1_000, "an authenticated request answered in " + millis + " ms");
            }
        } finally {
            for (Socket s : drippers) {
                s.close();
            }
        }
    }

    @Test
    void aPageHandlerGetsAnAuthenticatedGetWithItsQueryAndSetsItsHeaders() throws IOException {
        String r = exchange("GET /page?x=1 HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + digest.authorization("GET", "/page?x=1") + "\r\nConnection: close\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        assertTrue(r.contains("Cache-Control: no-store"), r);
        assertTrue(r.contains(SERVER), "the handler cannot replace AMT's Server header: " + r);
        assertFalse(r.contains("not AMT"), r);
        assertEquals(List.of("GET x=1 admin"), handled);
    }

    @Test
    void aGetWithoutCredentialsGetsTheChallengeEvenWhereAPageIsServed() throws IOException {
        String r = exchange("GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 401"), r);
        assertTrue(r.contains(SERVER) && r.contains("WWW-Authenticate: Digest"), r);
        assertTrue(handled.isEmpty());
    }

    @Test
    void aGetToAPostOnlyPathIsStillTheChallenge() throws IOException {
        String r = exchange("GET /echo HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + digest.authorization("GET", "/echo") + "\r\nConnection: close\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 401"), r);
        assertTrue(handled.isEmpty(), "the POST-only handler never saw a GET");
    }
}
