package org.vamt.security.digest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * POSTs to one URL (a WS-Management endpoint, AMT's or vAMT's) over the JDK's HttpClient with a
 * {@link DigestSession}: the first request goes without credentials, its 401 challenge is learnt,
 * and every later request carries credentials up front with the same nonce and a growing nc; a
 * stale nonce is renewed and the request sent once more. Plain Java, no OSGi: the Karaf shell,
 * the benchmarks and the tests all use it.
 *
 * <p>{@link #raw} sends exactly what it is given, for tests of the server's Digest handling
 * (wrong or replayed credentials, no credentials).
 */
public final class DigestClient {
    /** What AMT consoles send. */
    public static final String SOAP_XML = "application/soap+xml;charset=UTF-8";

    private final HttpClient http;
    private final URI url;
    private final DigestSession session;
    private Duration timeout = Duration.ofSeconds(30);

    /** Over a new HttpClient with a 5 s connect timeout. */
    public DigestClient(URI url, String user, String password) {
        this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), url, user, password);
    }

    /** Over a new HttpClient with a 5 s connect timeout. */
    public DigestClient(String url, String user, String password) {
        this(URI.create(url), user, password);
    }

    /** Over a caller-made client, e.g. one speaking TLS with chosen versions and suites. */
    public DigestClient(HttpClient http, String url, String user, String password) {
        this(http, URI.create(url), user, password);
    }

    /** Over a caller-made client, e.g. one speaking TLS with chosen versions and suites. */
    public DigestClient(HttpClient http, URI url, String user, String password) {
        this.http = http;
        this.url = url;
        this.session = new DigestSession(user, password);
    }

    /** How long one request may take (default 30 s). */
    public DigestClient timeout(Duration requestTimeout) {
        this.timeout = requestTimeout;
        return this;
    }

    public HttpClient http() {
        return http;
    }

    public URI url() {
        return url;
    }

    public DigestSession session() {
        return session;
    }

    /** The Digest {@code uri}: the request path. */
    public String path() {
        String p = url.getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    /** Posts with Digest, answering the challenge (and a stale nonce) as needed. */
    public HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return post(body.getBytes(StandardCharsets.UTF_8), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts with Digest, answering the challenge (and a stale nonce) as needed. */
    public <T> HttpResponse<T> post(byte[] body, BodyHandler<T> answer) throws IOException, InterruptedException {
        boolean withCredentials = session.hasNonce();
        HttpResponse<T> r = raw(body, withCredentials ? authorization() : null, answer);
        if (r.statusCode() == 401
                && session.retryAfter(r.headers().firstValue("WWW-Authenticate").orElse(null), withCredentials)) {
            r = raw(body, authorization(), answer);
        }
        return r;
    }

    /** Sends exactly this {@code Authorization} header, or none when null. */
    public HttpResponse<String> raw(String body, String authorization) throws IOException, InterruptedException {
        return raw(body.getBytes(StandardCharsets.UTF_8), authorization, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends exactly this {@code Authorization} header, or none when null. */
    public <T> HttpResponse<T> raw(byte[] body, String authorization, BodyHandler<T> answer)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", SOAP_XML)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), answer);
    }

    /** Learns the challenge of a 401 answer; false when it has none this client can answer. */
    public boolean learn(HttpResponse<?> challenge) {
        return session.learn(challenge.headers().firstValue("WWW-Authenticate").orElse(null));
    }

    /** The header for the next POST to this URL (the next nc). */
    public String authorization() {
        return session.authorization("POST", path());
    }

    /** The header with a chosen nc and cnonce, counting nothing (replays, other relays' nc). */
    public String authorization(String nc, String cnonce) {
        return session.authorization("POST", path(), nc, cnonce);
    }

    public String realm() {
        return session.realm();
    }

    public String nonce() {
        return session.nonce();
    }
}
