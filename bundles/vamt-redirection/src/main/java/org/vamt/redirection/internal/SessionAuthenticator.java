package org.vamt.redirection.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The AuthenticateSession exchange of one redirection session (compat section 5.1): the query of
 * supported methods, Digest in two round trips (type 4, RFC 2617 with qop=auth, and type 3, RFC
 * 2069), and, only when configured, user and password in clear (type 1, Debian amtterm 1.4).
 * Digest uses the realm and the HA1 of the VM's WS-Management endpoint, the URI
 * "/RedirectionService" and a fresh one-time nonce per session.
 */
final class SessionAuthenticator {
    static final String DIGEST_URI = "/RedirectionService";
    private static final String QOP = "auth";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** HA1 = MD5(user:realm:password), hex, of a user who may log in on this VM; empty otherwise. */
    @FunctionalInterface
    interface Credentials {
        Optional<String> ha1(String user);
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
        Optional<String> ha1 = credentials.ha1(user);
        String offered = md5(user + ":" + realm + ":" + password);
        if (ha1.isEmpty() || !constantTimeEquals(ha1.get(), offered)) {
            return refuse(Messages.AUTH_FAILURE, Messages.AUTH_PLAIN, user, "wrong user or password");
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
        Optional<String> ha1 = credentials.ha1(user);
        if (ha1.isEmpty()) {
            return refuse(Messages.AUTH_FAILURE, type, user, "unknown user or no access to this VM");
        }
        String ha2 = md5("POST:" + uri);
        String expected = type == Messages.AUTH_DIGEST
                ? md5(ha1.get() + ":" + issued + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2)
                : md5(ha1.get() + ":" + issued + ":" + ha2);
        if (!constantTimeEquals(expected, response.toLowerCase(java.util.Locale.ROOT))) {
            return refuse(Messages.AUTH_FAILURE, type, user, "wrong Digest response");
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

    static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required by Digest", e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
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
