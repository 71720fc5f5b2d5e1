package org.vamt.redirection.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.vamt.security.Login;
import org.vamt.security.SecurityService;

/**
 * The AuthenticateSession exchange of one redirection session (compat section 5.1): the query of
 * supported methods, Digest in two round trips (type 4, RFC 2617 with qop=auth, and type 3, RFC
 * 2069), and, only when configured, user and password in clear (type 1, Debian amtterm 1.4).
 * Digest uses the realm of the VM's endpoint, the URI "/RedirectionService" and a fresh one-time
 * nonce per session; this class runs the exchange and owns the nonce, the security service
 * checks the credentials.
 */
final class SessionAuthenticator {
    static final String DIGEST_URI = "/RedirectionService";
    private static final String QOP = "auth";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One login attempt: a Digest answer, or a user and password in clear. */
    record Attempt(String user, String password, SecurityService.DigestAnswer digest) {
    }

    /** Checks an attempt against the users, the lockout and the realm (the security service). */
    @FunctionalInterface
    interface Credentials {
        Login check(Attempt attempt);
    }

    /** What to answer and whether the session may go on. */
    record Step(byte[] reply, Outcome outcome, String user, String why) {
    }

    enum Outcome {
        /** Reply and wait for the next AuthenticateSession. */
        CONTINUE,
        /** Authenticated as {@link Step#user()}. */
        ACCEPTED,
        /** Reply, then close: clients treat a failure as final. */
        REJECTED
    }

    private final String realm;
    private final boolean plainAllowed;
    private final Credentials credentials;
    private String nonce;

    SessionAuthenticator(String realm, boolean plainAllowed, Credentials credentials) {
        this.realm = realm;
        this.plainAllowed = plainAllowed;
        this.credentials = credentials;
    }

    /** The methods offered to a query, best last as AMT lists them. */
    byte[] supportedTypes() {
        return plainAllowed ? new byte[] {Messages.AUTH_PLAIN, Messages.AUTH_DIGEST_2069, Messages.AUTH_DIGEST}
                : new byte[] {Messages.AUTH_DIGEST_2069, Messages.AUTH_DIGEST};
    }

    /** Handles one AuthenticateSession message (whole, type byte first). */
    Step handle(byte[] message) {
        int type = message[4] & 0xFF;
        int length = message.length - 9;
        FieldReader data = new FieldReader(message, 9);
        return switch (type) {
            case Messages.AUTH_QUERY -> new Step(Messages.authenticateReply(Messages.AUTH_SUCCESS, Messages.AUTH_QUERY,
                    supportedTypes()), Outcome.CONTINUE, null, "query");
            case Messages.AUTH_PLAIN -> plain(data, length);
            case Messages.AUTH_DIGEST, Messages.AUTH_DIGEST_2069 -> digest(type, data);
            default -> refuse(Messages.AUTH_NOT_SUPPORTED, type, null, "authentication type " + type + " not supported");
        };
    }

    private Step plain(FieldReader data, int length) {
        if (!plainAllowed) {
            return refuse(Messages.AUTH_NOT_SUPPORTED, Messages.AUTH_PLAIN, null,
                    "user/password in clear is disabled (allowPlainAuth=false)");
        }
        String user = data.next();
        String password = data.next();
        if (user == null || password == null || !data.atEnd(9 + length)) {
            return refuse(Messages.AUTH_FAILURE, Messages.AUTH_PLAIN, user, "malformed user/password data");
        }
        if (credentials.check(new Attempt(user, password, null)) instanceof Login.Rejected r) {
            return refuse(Messages.AUTH_FAILURE, Messages.AUTH_PLAIN, user, r.why());
        }
        return new Step(Messages.authenticateReply(Messages.AUTH_SUCCESS, Messages.AUTH_PLAIN, new byte[0]),
                Outcome.ACCEPTED, user, "user/password");
    }

    private Step digest(int type, FieldReader data) {
        String user = data.next();
        String givenRealm = data.next();
        String givenNonce = data.next();
        String uri = data.next();
        String cnonce = data.next();
        String nc = data.next();
        String response = data.next();
        String qop = type == Messages.AUTH_DIGEST ? data.next() : "";
        if (user == null || givenRealm == null || givenNonce == null || uri == null || cnonce == null || nc == null
                || response == null || qop == null) {
            return refuse(Messages.AUTH_FAILURE, type, user, "malformed Digest data");
        }
        if (givenRealm.isEmpty() && givenNonce.isEmpty()) {
            // first round trip: the client asks for realm and nonce
            nonce = HexFormat.of().formatHex(randomBytes(16));
            ByteArrayOutputStream challenge = new ByteArrayOutputStream();
            field(challenge, realm);
            field(challenge, nonce);
            if (type == Messages.AUTH_DIGEST) {
                field(challenge, QOP);
            }
            return new Step(Messages.authenticateReply(Messages.AUTH_FAILURE, type, challenge.toByteArray()),
                    Outcome.CONTINUE, user, "Digest challenge");
        }
        String issued = nonce;
        nonce = null;   // one attempt per nonce
        if (issued == null || !issued.equals(givenNonce)) {
            return refuse(Messages.AUTH_FAILURE, type, user, "Digest nonce was not issued in this session");
        }
        if (!realm.equals(givenRealm)) {
            return refuse(Messages.AUTH_FAILURE, type, user, "wrong Digest realm");
        }
        if (!DIGEST_URI.equals(uri)) {
            return refuse(Messages.AUTH_FAILURE, type, user, "Digest uri must be " + DIGEST_URI);
        }
        if (type == Messages.AUTH_DIGEST && !QOP.equals(qop)) {
            return refuse(Messages.AUTH_FAILURE, type, user, "qop must be auth");
        }
        SecurityService.DigestAnswer answer = new SecurityService.DigestAnswer(user, issued, uri, "POST", nc, cnonce,
                type == Messages.AUTH_DIGEST ? qop : null, response);
        if (credentials.check(new Attempt(user, null, answer)) instanceof Login.Rejected r) {
            return refuse(Messages.AUTH_FAILURE, type, user, r.why());
        }
        return new Step(Messages.authenticateReply(Messages.AUTH_SUCCESS, type, new byte[0]), Outcome.ACCEPTED, user,
                type == Messages.AUTH_DIGEST ? "Digest" : "Digest (RFC 2069)");
    }

    private static Step refuse(int status, int type, String user, String why) {
        return new Step(Messages.authenticateReply(status, type, new byte[0]), Outcome.REJECTED, user, why);
    }

    private static void field(ByteArrayOutputStream out, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        out.write(b.length);
        out.write(b, 0, b.length);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Length-prefixed (one byte) fields; null once the data runs out. */
    private static final class FieldReader {
        private final byte[] b;
        private int at;

        FieldReader(byte[] b, int at) {
            this.b = b;
            this.at = at;
        }

        String next() {
            if (at >= b.length) {
                return null;
            }
            int n = b[at] & 0xFF;
            if (at + 1 + n > b.length) {
                at = b.length;
                return null;
            }
            String s = new String(b, at + 1, n, StandardCharsets.UTF_8);
            at += 1 + n;
            return s;
        }

        boolean atEnd(int end) {
            return at == end;
        }
    }
}
