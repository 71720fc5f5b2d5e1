package org.vamt.security.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Digest client against a real HTTP server (the JDK's) that checks Digest the way vAMT does:
 * AMT's challenge layout, a nonce reused with a growing nc, replays refused, stale nonces.
 */
class DigestClientTest {
    static final String REALM = "Digest:55E3AE13BFD261BB17A088AEDD7037EA";
    static final String PASSWORD = "P@ssw0rd-1";

    HttpServer server;
    URI url;
    /** Nonces the server knows, with the cnonce:nc pairs seen for each. */
    final Map<String, Set<String>> nonces = new ConcurrentHashMap<>();
    /** The Authorization header of every request (null for none), in order. */
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger failedLogins = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/wsman", this::amt);
        server.createContext("/old", this::rfc2069);
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/wsman");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String newNonce() {
        String n = UUID.randomUUID().toString().replace("-", "");
        nonces.put(n, ConcurrentHashMap.newKeySet());
        return n;
    }

    /** AMT's server side, with its exact challenge layout. */
    private void amt(HttpExchange x) throws IOException {
        byte[] body = x.getRequestBody().readAllBytes();
        String auth = x.getRequestHeaders().getFirst("Authorization");
        seen.add(auth);
        String why = check(auth, x.getRequestURI().getPath(), true);
        if (why == null) {
            respond(x, 200, body);
            return;
        }
        if (auth != null && !why.equals("stale")) {
            failedLogins.incrementAndGet();
        }
        x.getResponseHeaders().set("WWW-Authenticate", "Digest realm=\"" + REALM + "\", nonce=\"" + newNonce()
                + "\",stale=\"" + why.equals("stale") + "\",qop=\"auth\"");
        respond(x, 401, new byte[0]);
    }

    /** A server of RFC 2069's time: no qop, an opaque value to echo. */
    private void rfc2069(HttpExchange x) throws IOException {
        x.getRequestBody().readAllBytes();
        String auth = x.getRequestHeaders().getFirst("Authorization");
        seen.add(auth);
        if (check(auth, x.getRequestURI().getPath(), false) == null) {
            respond(x, 200, "old".getBytes(StandardCharsets.UTF_8));
            return;
        }
        x.getResponseHeaders().set("WWW-Authenticate", "Digest realm=\"old\", nonce=\"" + newNonce()
                + "\", opaque=\"0pa\\\"que\"");
        respond(x, 401, new byte[0]);
    }

    /** Null when accepted, "stale" for an unknown nonce with right credentials, else why not. */
    private String check(String auth, String path, boolean qop) {
        if (auth == null || !auth.startsWith("Digest ")) {
            return "none";
        }
        Map<String, String> p = DigestMath.parameters(auth.substring(7));
        if (!"admin".equals(p.get("username")) || !path.equals(p.get("uri"))) {
            return "user or uri";
        }
        if (!qop && !"0pa\"que".equals(p.get("opaque"))) {
            return "opaque not echoed";
        }
        String expected = DigestMath.response(DigestMath.ha1("admin", p.get("realm"), PASSWORD), p.get("nonce"),
                p.get("nc"), p.get("cnonce"), qop ? "auth" : null, "POST", p.get("uri"));
        if (!DigestMath.sameDigest(expected, p.get("response")) || (qop != "auth".equals(p.get("qop")))) {
            return "bad response";
        }
        Set<String> used = nonces.get(p.get("nonce"));
        if (used == null) {
            return "stale";
        }
        return used.add(p.get("cnonce") + ":" + p.get("nc")) ? null : "replay";
    }

    private static void respond(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void oneChallengeThenTheSameNonceWithAGrowingNc() throws Exception {
        DigestClient client = new DigestClient(url, "admin", PASSWORD);
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = client.post("<x>" + i + "</x>");
            assertEquals(200, r.statusCode());
            assertEquals("<x>" + i + "</x>", r.body());
        }
        assertEquals(4, seen.size(), "one unauthenticated request, then credentials up front: " + seen);
        assertNull(seen.get(0));
        String nonce = client.nonce();
        for (int i = 1; i <= 3; i++) {
            Map<String, String> p = DigestMath.parameters(seen.get(i).substring(7));
            assertEquals(nonce, p.get("nonce"));
            assertEquals(String.format("%08x", i), p.get("nc"));
            assertEquals(REALM, p.get("realm"));
            assertEquals("/wsman", p.get("uri"));
            assertEquals("auth", p.get("qop"));
            assertEquals(client.session().cnonce(), p.get("cnonce"));
        }
        assertEquals(0, failedLogins.get());
    }

    @Test
    void aWrongPasswordIsOneFailedLoginPerRequestNeverRetried() throws Exception {
        DigestClient wrong = new DigestClient(url, "admin", "guess");
        assertEquals(401, wrong.post("<a/>").statusCode());
        assertEquals(401, wrong.post("<a/>").statusCode());
        assertEquals(2, failedLogins.get());
        assertEquals(3, seen.size(), "probe, credentials, credentials with the kept nonce: " + seen);
    }

    @Test
    void aStaleNonceIsRenewedAndTheRequestSentOnce() throws Exception {
        DigestClient client = new DigestClient(url, "admin", PASSWORD);
        assertEquals(200, client.post("<a/>").statusCode());
        String old = client.nonce();
        nonces.clear();   // as after a server restart
        seen.clear();
        HttpResponse<String> r = client.post("<b/>");
        assertEquals(200, r.statusCode());
        assertEquals("<b/>", r.body());
        assertEquals(2, seen.size());
        assertNotEquals(old, client.nonce());
        assertTrue(seen.get(1).contains("nc=00000001"), seen.get(1));
        assertEquals(0, failedLogins.get(), "a stale nonce is no failed login");
    }

    @Test
    void aReplayedHeaderIsRefusedAndAnotherNcAccepted() throws Exception {
        DigestClient client = new DigestClient(url, "admin", PASSWORD);
        assertEquals(200, client.post("<a/>").statusCode());
        String cnonce = client.session().cnonce();
        assertEquals(401, client.raw("<a/>", client.authorization("00000001", cnonce)).statusCode(), "a replay");
        assertEquals(200, client.raw("<a/>", client.authorization("2", "other")).statusCode());
        assertEquals(200, client.raw("<a/>", client.authorization()).statusCode(), "the session's own nc moved on");
    }

    @Test
    void bytesInAndOutAndANonceLearntElsewhere() throws Exception {
        DigestClient first = new DigestClient(url, "admin", PASSWORD);
        HttpResponse<byte[]> r = first.post(new byte[] {'<', 'z', '/', '>'}, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("<z/>", new String(r.body(), StandardCharsets.US_ASCII));
        DigestClient second = new DigestClient(first.http(), url, "admin", PASSWORD);
        second.session().learn(first.realm(), first.nonce());
        seen.clear();
        assertEquals(200, second.post("<y/>").statusCode());
        assertEquals(1, seen.size(), "credentials up front with the borrowed nonce");
    }

    @Test
    void withoutQopTheResponseIsRfc2069sAndOpaqueIsEchoed() throws Exception {
        DigestClient client = new DigestClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()
                + "/old"), "admin", PASSWORD);
        HttpResponse<String> r = client.post("<a/>");
        assertEquals(200, r.statusCode(), String.valueOf(seen));
        assertFalse(seen.get(1).contains("qop"), seen.get(1));
        assertFalse(seen.get(1).contains("cnonce"), seen.get(1));
    }

    @Test
    void challengesThisClientCannotAnswerAreNotLearnt() {
        DigestSession s = new DigestSession("admin", PASSWORD);
        assertFalse(s.learn("Basic realm=\"x\""));
        assertFalse(s.learn("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-256"));
        assertFalse(s.learn("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\""));
        assertFalse(s.learn("Digest realm=\"x\""));
        assertFalse(s.hasNonce());
        assertTrue(s.learn("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int,auth\""));
        assertFalse(s.retryAfter("Digest realm=\"x\", nonce=\"m\", stale=\"false\"", true), "wrong credentials");
        assertEquals("n", s.nonce());
        assertTrue(s.retryAfter("Digest realm=\"x\", nonce=\"m\", stale=\"true\"", true));
        assertEquals("m", s.nonce());
    }
}
