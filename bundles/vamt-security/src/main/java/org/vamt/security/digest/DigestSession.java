package org.vamt.security.digest;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * The client half of HTTP Digest as AMT consoles keep it, without any transport: one nonce learnt
 * from a {@code WWW-Authenticate: Digest} challenge is reused for many requests with a growing
 * {@code nc} and one client nonce per server nonce, until the server says the nonce is stale.
 * Every client of vAMT (shell, benchmarks, tests) keeps its Digest state here and only moves the
 * bytes itself ({@link DigestClient} over the JDK's HttpClient, or a raw socket).
 *
 * <p>Understood in a challenge: {@code realm}, {@code nonce}, {@code qop} (with "auth" the response
 * covers nc and cnonce; without qop it is RFC 2069's), {@code opaque} (echoed) and {@code stale};
 * only MD5. Thread-safe: requests sent in parallel each get their own nc.
 */
public final class DigestSession {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String user;
    private final String password;
    private String realm;
    private String nonce;
    private String opaque;
    private boolean qopAuth;
    private String cnonce;
    private String ha1;
    private int nc;

    public DigestSession(String user, String password) {
        this.user = user;
        this.password = password;
    }

    public String user() {
        return user;
    }

    public synchronized String realm() {
        return realm;
    }

    public synchronized String nonce() {
        return nonce;
    }

    /** The client nonce sent with the current server nonce. */
    public synchronized String cnonce() {
        return cnonce;
    }

    /** True once a challenge has been learnt: requests can carry credentials up front. */
    public synchronized boolean hasNonce() {
        return nonce != null;
    }

    /**
     * Learns a {@code WWW-Authenticate} header: a new nonce starts again at nc 1 with a new cnonce.
     * False (and nothing learnt) when the header is not a Digest challenge this client can answer
     * (another scheme, no nonce, an algorithm other than MD5).
     */
    public boolean learn(String wwwAuthenticate) {
        if (wwwAuthenticate == null || !wwwAuthenticate.regionMatches(true, 0, "Digest ", 0, 7)) {
            return false;
        }
        Map<String, String> p = DigestMath.parameters(wwwAuthenticate.substring(7));
        String algorithm = p.getOrDefault("algorithm", "MD5");
        if (p.get("nonce") == null || !"MD5".equalsIgnoreCase(algorithm)) {
            return false;
        }
        String qop = p.get("qop");
        boolean auth = qop != null && qop.toLowerCase(Locale.ROOT).matches("(.*[ ,])?auth([ ,].*)?");
        if (qop != null && !auth) {
            return false;
        }
        synchronized (this) {
            learn(p.getOrDefault("realm", ""), p.get("nonce"));
            this.opaque = p.get("opaque");
            this.qopAuth = qop != null;
        }
        return true;
    }

    /**
     * Continues with {@code nonce} of {@code realm} (qop=auth), as if it had been learnt from a
     * challenge: for a test that replays a nonce another session was given.
     */
    public synchronized void learn(String realm, String nonce) {
        if (!realm.equals(this.realm)) {
            ha1 = null;
        }
        this.realm = realm;
        this.nonce = nonce;
        this.opaque = null;
        this.qopAuth = true;
        this.cnonce = HexFormat.of().formatHex(randomBytes());
        this.nc = 0;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * What to do with a 401 answer: learns its challenge and says whether the request should be
     * sent once more with credentials. Yes when the request carried none, or when the server
     * called the nonce stale (it expired or the server forgot it, but the password was right).
     * No for credentials refused outright: sending them again would only count a second failed
     * login against the user.
     */
    public boolean retryAfter(String wwwAuthenticate, boolean sentCredentials) {
        if (wwwAuthenticate == null) {
            return false;
        }
        boolean stale = isStale(wwwAuthenticate);
        if (sentCredentials && !stale) {
            return false;
        }
        return learn(wwwAuthenticate);
    }

    /** True when a challenge says {@code stale=true}. */
    public static boolean isStale(String wwwAuthenticate) {
        return wwwAuthenticate != null && wwwAuthenticate.regionMatches(true, 0, "Digest ", 0, 7)
                && "true".equalsIgnoreCase(DigestMath.parameters(wwwAuthenticate.substring(7)).get("stale"));
    }

    /** The {@code Authorization} header for the next request: the next nc. Needs a learnt nonce. */
    public String authorization(String method, String uri) {
        String ncText;
        String c;
        synchronized (this) {
            requireNonce();
            ncText = String.format("%08x", ++nc);
            c = cnonce;
        }
        return authorization(method, uri, ncText, c);
    }

    /**
     * The header with a chosen nc and cnonce, counting nothing: for tests that replay a request or
     * send an nc the way another relay writes it.
     */
    public String authorization(String method, String uri, String ncText, String clientNonce) {
        String r;
        String n;
        String o;
        boolean auth;
        String h;
        synchronized (this) {
            requireNonce();
            if (ha1 == null) {
                ha1 = DigestMath.ha1(user, realm, password);
            }
            r = realm;
            n = nonce;
            o = opaque;
            auth = qopAuth;
            h = ha1;
        }
        StringBuilder sb = new StringBuilder(320).append("Digest username=\"").append(quoted(user))
                .append("\", realm=\"").append(quoted(r)).append("\", nonce=\"").append(quoted(n))
                .append("\", uri=\"").append(quoted(uri)).append('"');
        if (auth) {
            sb.append(", qop=auth, nc=").append(ncText).append(", cnonce=\"").append(quoted(clientNonce)).append('"');
        }
        sb.append(", response=\"")
                .append(DigestMath.response(h, n, ncText, clientNonce, auth ? "auth" : null, method, uri)).append('"');
        if (o != null) {
            sb.append(", opaque=\"").append(quoted(o)).append('"');
        }
        return sb.toString();
    }

    private void requireNonce() {
        if (nonce == null) {
            throw new IllegalStateException("no Digest challenge learnt yet");
        }
    }

    private static String quoted(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
