package org.vamt.webui.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps other sites from making a logged-in browser press the page's buttons (cross-site request
 * forgery). Digest credentials are cached by the browser and sent with any request to the
 * endpoint, so they prove nothing about where a form came from. Two checks, both required:
 * the form carries a token that only this process can make, an HMAC of VM, user and issue time
 * under a secret drawn at start (a restart invalidates old pages, which is fine for a page you
 * reload); and the browser's Origin (else Referer) names this endpoint.
 */
final class CsrfGuard {
    /** How long a page's forms stay valid. */
    static final Duration LIFETIME = Duration.ofHours(12);
    private static final long CLOCK_SKEW_SECONDS = 60;

    private final byte[] secret;
    private final Clock clock;

    CsrfGuard(byte[] secret, Clock clock) {
        this.secret = secret.clone();
        this.clock = clock;
    }

    /** With a new random secret (one per process). */
    static CsrfGuard withNewSecret(Clock clock) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new CsrfGuard(secret, clock);
    }

    /** A token for forms that {@code user} sends to the endpoint of VM {@code machineId}. */
    String issue(String machineId, String user) {
        long now = clock.instant().getEpochSecond();
        return now + "." + mac(machineId, user, now);
    }

    /** Whether {@code token} was issued here for this VM and user, and not too long ago. */
    boolean valid(String token, String machineId, String user) {
        if (token == null) {
            return false;
        }
        int dot = token.indexOf('.');
        long issued;
        try {
            issued = Long.parseLong(token.substring(0, Math.max(dot, 0)));
        } catch (NumberFormatException e) {
            return false;
        }
        long now = clock.instant().getEpochSecond();
        if (issued > now + CLOCK_SKEW_SECONDS || now - issued > LIFETIME.getSeconds()) {
            return false;
        }
        byte[] expected = mac(machineId, user, issued).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Whether the browser says the form was on this endpoint's pages: its Origin, or without one its
     * Referer, has the scheme and authority of the request ({@code host} header, {@code secure}).
     * Neither header: not a form a browser sent from a page, refused.
     */
    static boolean sameOrigin(String origin, String referer, String host, boolean secure) {
        String claimed = origin != null ? origin : referer;
        if (claimed == null || host == null || "null".equals(claimed)) {
            return false;
        }
        try {
            URI u = new URI(claimed);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (u.getHost() == null || !scheme.equals(secure ? "https" : "http")) {
                return false;
            }
            int defaultPort = secure ? 443 : 80;
            int port = u.getPort() < 0 ? defaultPort : u.getPort();
            URI h = new URI("http://" + host);
            int hostPort = h.getPort() < 0 ? defaultPort : h.getPort();
            return u.getHost().equalsIgnoreCase(h.getHost()) && port == hostPort;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private String mac(String machineId, String user, long issued) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] m = hmac.doFinal((machineId.toLowerCase(Locale.ROOT) + "\n" + user + "\n" + issued)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(m);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
