package org.vamt.eventing.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.vamt.security.digest.DigestMath;

/**
 * A subscriber's HTTP listener on loopback that demands HTTP Digest (qop=auth) and keeps the
 * bodies of the requests whose credentials verify; counts the ones refused.
 */
final class DigestListener implements AutoCloseable {
    static final String REALM = "subscriber";
    private final HttpServer server;
    private final String user;
    private final String password;
    private final String nonce = UUID.randomUUID().toString();
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final AtomicInteger refused = new AtomicInteger();
    /** Answer status for verified requests (a test makes the subscriber fail with 500). */
    volatile int status = 200;

    DigestListener(String user, String password) throws IOException {
        this.user = user;
        this.password = password;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/events", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
    }

    String next(long seconds) throws InterruptedException {
        return received.poll(seconds, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange x) throws IOException {
        byte[] body = x.getRequestBody().readAllBytes();
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !verified(auth, x.getRequestMethod(), x.getRequestURI().toString())) {
            if (auth != null) {
                refused.incrementAndGet();
            }
            x.getResponseHeaders().add("WWW-Authenticate",
                    "Digest realm=\"" + REALM + "\", nonce=\"" + nonce + "\", qop=\"auth\"");
            x.sendResponseHeaders(401, -1);
            x.close();
            return;
        }
        int answer = status;
        if (answer == 200) {
            received.add(new String(body, StandardCharsets.UTF_8));
        }
        x.sendResponseHeaders(answer, -1);
        x.close();
    }

    private boolean verified(String header, String method, String uri) {
        if (!header.startsWith("Digest ")) {
            return false;
        }
        Map<String, String> p = DigestMath.parameters(header.substring(7));
        if (!user.equals(p.get("username")) || !nonce.equals(p.get("nonce")) || !uri.equals(p.get("uri"))) {
            return false;
        }
        String expected = DigestMath.response(DigestMath.ha1(user, REALM, password), nonce, p.get("nc"),
                p.get("cnonce"), p.get("qop"), method, uri);
        return DigestMath.sameDigest(expected, p.get("response"));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
