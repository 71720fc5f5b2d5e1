package org.vamt.security.internal;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.security.digest.DigestMath;

/**
 * HTTP Digest (RFC 2617, MD5, qop=auth) as AMT clients expect it: one nonce reused by a client
 * for many requests with a growing nc, accepted for a sliding lifetime; an exact repeat of
 * (nonce, cnonce, nc) is refused as a replay; an expired nonce with otherwise good credentials
 * gets a fresh challenge marked stale.
 */
final class HttpDigest {
    /** Most (cnonce, nc) pairs remembered per nonce for replay detection. */
    private static final int SEEN_PER_NONCE = 4096;

    /**
     * What the user directory must answer: HA1 = MD5(user:realm:password), as lower-case hex, for a
     * user allowed on the endpoint of {@code machineId}.
     */
    @FunctionalInterface
    interface Credentials {
        Optional<String> ha1(String user, String machineId, String realm);
    }

    sealed interface Outcome permits Accepted, Rejected {
    }

    record Accepted(String user) implements Outcome {
    }

    /**
     * @param stale   true when only the nonce was too old: the client should retry with the new one
     * @param badUser the user name when credentials were presented and wrong (a failed login), else null
     */
    record Rejected(boolean stale, String why, String badUser) implements Outcome {
        Rejected(boolean stale, String why) {
            this(stale, why, null);
        }
    }

    private static final class NonceState {
        volatile long lastUsedNanos = System.nanoTime();
        final Set<String> seen = new LinkedHashSet<>();
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, NonceState> nonces = new ConcurrentHashMap<>();
    private volatile long lifetimeNanos;
    private final int maxNonces;
    private final Credentials credentials;

    HttpDigest(Credentials credentials, long nonceLifetimeMillis, int maxNonces) {
        this.credentials = credentials;
        this.lifetimeNanos = nonceLifetimeMillis * 1_000_000L;
        this.maxNonces = maxNonces;
    }

    /** Applies a new nonce lifetime in place: nonces already issued are kept. */
    void setNonceLifetime(long nonceLifetimeMillis) {
        this.lifetimeNanos = nonceLifetimeMillis * 1_000_000L;
    }

    /** A WWW-Authenticate value in real AMT's exact layout; issues a new nonce. */
    String challenge(String realm, boolean stale) {
        return "Digest realm=\"" + realm + "\", nonce=\"" + newNonce() + "\",stale=\"" + stale + "\",qop=\"auth\"";
    }

    private String newNonce() {
        expire();
        byte[] b = new byte[24];
        random.nextBytes(b);
        // 24 bytes make 32 base64 characters with no '=' padding, which MeshCentral's parser cannot take.
        String nonce = Base64.getEncoder().encodeToString(b);
        nonces.put(nonce, new NonceState());
        return nonce;
    }

    private void expire() {
        long now = System.nanoTime();
        nonces.values().removeIf(s -> now - s.lastUsedNanos > lifetimeNanos);
        if (nonces.size() >= maxNonces) {
            // Drop the least recently used tenth, never an arbitrary one: the map's own order is by hash,
            // so a flood of challenges used to evict the nonce a client had just been given, or the one a
            // console was using, and the client's stale retry could fail again.
            List<Map.Entry<String, NonceState>> byAge = new ArrayList<>(nonces.entrySet());
            byAge.sort(Comparator.comparingLong(e -> e.getValue().lastUsedNanos - now));
            int drop = nonces.size() - maxNonces + 1 + maxNonces / 10;
            for (int i = 0; i < drop && i < byAge.size(); i++) {
                nonces.remove(byAge.get(i).getKey(), byAge.get(i).getValue());
            }
        }
    }

    /**
     * Checks an Authorization header for a request with this method and path against the realm of
     * the endpoint of {@code machineId}.
     */
    Outcome authenticate(String authorization, String method, String path, String machineId, String realm) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Digest ", 0, 7)) {
            return new Rejected(false, "no Digest credentials");
        }
        Map<String, String> p = DigestMath.parameters(authorization.substring(7));
        String user = p.get("username");
        String nonce = p.get("nonce");
        String uri = p.get("uri");
        String response = p.get("response");
        String qop = p.get("qop");
        if (user == null || nonce == null || uri == null || response == null) {
            return new Rejected(false, "incomplete Digest credentials");
        }
        if (!realm.equals(p.get("realm"))) {
            return new Rejected(false, "wrong realm");
        }
        if (!uriMatches(uri, path)) {
            return new Rejected(false, "Digest uri does not match the request");
        }
        String algorithm = p.getOrDefault("algorithm", "MD5");
        if (!"MD5".equalsIgnoreCase(algorithm)) {
            return new Rejected(false, "unsupported algorithm " + algorithm);
        }
        Optional<String> ha1 = credentials.ha1(user, machineId, realm);
        String nc = p.getOrDefault("nc", "");
        String cnonce = p.getOrDefault("cnonce", "");
        String expected;
        if (qop == null) {
            // AMT challenges with qop="auth" and refuses RFC 2069 answers (no nc: no replay check)
            return new Rejected(false, "Digest without qop=auth");
        } else if ("auth".equalsIgnoreCase(qop)) {
            if (nc.isEmpty() || cnonce.isEmpty()) {
                return new Rejected(false, "qop=auth without nc or cnonce");
            }
            expected = ha1.map(h -> DigestMath.response(h, nonce, nc, cnonce, qop, method, uri)).orElse(null);
        } else {
            return new Rejected(false, "unsupported qop " + qop);
        }
        if (!DigestMath.sameDigest(expected, response)) {
            return new Rejected(false, "bad credentials for user " + user, user);
        }
        NonceState state = nonces.get(nonce);
        if (state == null || System.nanoTime() - state.lastUsedNanos > lifetimeNanos) {
            nonces.remove(nonce);
            return new Rejected(true, "stale nonce");
        }
        synchronized (state) {
            if (!state.seen.add(cnonce + ":" + nc)) {
                return new Rejected(false, "replayed request (same nonce, cnonce and nc)");
            }
            if (state.seen.size() > SEEN_PER_NONCE) {
                Iterator<String> it = state.seen.iterator();
                it.next();
                it.remove();
            }
        }
        state.lastUsedNanos = System.nanoTime();
        return new Accepted(user);
    }

    private static boolean uriMatches(String uri, String path) {
        String u = uri;
        int scheme = u.indexOf("://");
        if (scheme > 0) {
            int slash = u.indexOf('/', scheme + 3);
            u = slash < 0 ? "/" : u.substring(slash);
        }
        int q = u.indexOf('?');
        if (q >= 0) {
            u = u.substring(0, q);
        }
        return u.equals(path);
    }
}
