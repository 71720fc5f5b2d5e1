package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vamt.security.Login;
import org.vamt.security.SecurityService;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.internal.TestSecurity;
import org.junit.jupiter.api.Test;

/** The AuthenticateSession exchanges exactly as MeshCentral and amtterm send them (compat section 5.1). */
class SessionAuthenticatorTest {
    static final String REALM = "Digest:5F1A0C3E000040008000000000000901";
    static final String PASSWORD = "P@ssw0rd-Redir";
    static final String HA1 = DigestMath.ha1("admin", REALM, PASSWORD);

    /** The real security service over a directory of one user, admin, on every VM. */
    private final SecurityService security = TestSecurity.create(new UserDirectory() {
        @Override
        public Optional<String> ha1(String user, String machineId, String digestRealm) {
            return user.equals("admin") && digestRealm.equals(REALM) ? Optional.of(HA1) : Optional.empty();
        }

        @Override
        public boolean permits(String user, String machineId, int realm) {
            return user.equals("admin");
        }
    }, 100, 60_000, 600_000, e -> { });
    private final SessionAuthenticator digestOnly = new SessionAuthenticator(REALM, false, this::check);
    private final SessionAuthenticator withPlain = new SessionAuthenticator(REALM, true, this::check);

    private Login check(SessionAuthenticator.Attempt a) {
        return a.password() != null ? security.verifyPassword(a.user(), a.password(), "vm", REALM, 2, "127.0.0.1")
                : security.verifyDigest(a.digest(), "vm", REALM, 2, "127.0.0.1");
    }

    static byte[] message(int type, List<String> fields) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (String f : fields) {
            byte[] b = f.getBytes(StandardCharsets.UTF_8);
            data.write(b.length);
            data.write(b, 0, b.length);
        }
        byte[] d = data.toByteArray();
        byte[] m = new byte[9 + d.length];
        m[0] = Messages.AUTHENTICATE;
        m[4] = (byte) type;
        Messages.putInt(m, 5, d.length);
        System.arraycopy(d, 0, m, 9, d.length);
        return m;
    }

    /** Realm, nonce and qop from a challenge reply. */
    static List<String> fields(byte[] reply) {
        List<String> out = new ArrayList<>();
        int at = 9;
        while (at < reply.length) {
            int n = reply[at] & 0xFF;
            out.add(new String(reply, at + 1, n, StandardCharsets.UTF_8));
            at += 1 + n;
        }
        return out;
    }

    @Test
    void queryListsDigestAndPlainOnlyWhenAllowed() {
        byte[] query = message(0, List.of());
        SessionAuthenticator.Step step = digestOnly.handle(query);
        assertEquals(SessionAuthenticator.Outcome.CONTINUE, step.outcome());
        assertArrayEquals(new byte[] {0x14, 0, 0, 0, 0, 2, 0, 0, 0, 3, 4}, step.reply());
        assertArrayEquals(new byte[] {1, 3, 4}, withPlain.supportedTypes());
    }

    @Test
    void meshCentralDigestLogsIn() {
        // round trip 1: user, empty realm and nonce, the uri, then four empty fields
        byte[] first = message(4, List.of("admin", "", "", "/RedirectionService", "", "", "", ""));
        SessionAuthenticator.Step challenge = digestOnly.handle(first);
        assertEquals(SessionAuthenticator.Outcome.CONTINUE, challenge.outcome());
        assertEquals(1, challenge.reply()[1], "a challenge is status 1, as AMT sends it");
        List<String> c = fields(challenge.reply());
        assertEquals(REALM, c.get(0));
        assertEquals(32, c.get(1).length(), "amtterm takes nonces of at most 32 characters");
        assertEquals("auth", c.get(2));
        String cnonce = "0123456789abcdef0123456789abcdef";
        String response = DigestMath.md5Hex(HA1 + ":" + c.get(1) + ":00000002:" + cnonce + ":auth:"
                + DigestMath.md5Hex("POST:/RedirectionService"));
        SessionAuthenticator.Step done = digestOnly.handle(message(4, List.of("admin", REALM, c.get(1),
                "/RedirectionService", cnonce, "00000002", response, "auth")));
        assertEquals(SessionAuthenticator.Outcome.ACCEPTED, done.outcome(), done.why());
        assertEquals("admin", done.user());
        assertArrayEquals(new byte[] {0x14, 0, 0, 0, 4, 0, 0, 0, 0}, done.reply());
    }

    @Test
    void wrongDigestResponseAndReusedNonceAreRefused() {
        List<String> c = fields(digestOnly.handle(message(4, List.of("admin", "", "", "/RedirectionService", "", "",
                "", ""))).reply());
        String cnonce = "aa";
        String wrong = DigestMath.md5Hex(DigestMath.md5Hex("admin:" + REALM + ":guess") + ":" + c.get(1)
                + ":00000002:" + cnonce + ":auth:" + DigestMath.md5Hex("POST:/RedirectionService"));
        SessionAuthenticator.Step refused = digestOnly.handle(message(4, List.of("admin", REALM, c.get(1),
                "/RedirectionService", cnonce, "00000002", wrong, "auth")));
        assertEquals(SessionAuthenticator.Outcome.REJECTED, refused.outcome());
        assertEquals(1, refused.reply()[1]);
        // the nonce was used up by the failed attempt: even the right answer is refused now
        String right = DigestMath.md5Hex(HA1 + ":" + c.get(1) + ":00000002:" + cnonce + ":auth:"
                + DigestMath.md5Hex("POST:/RedirectionService"));
        assertEquals(SessionAuthenticator.Outcome.REJECTED, digestOnly.handle(message(4, List.of("admin", REALM,
                c.get(1), "/RedirectionService", cnonce, "00000002", right, "auth"))).outcome());
    }

    @Test
    void unknownUserIsRefused() {
        List<String> c = fields(digestOnly.handle(message(4, List.of("mallory", "", "", "/RedirectionService", "",
                "", "", ""))).reply());
        SessionAuthenticator.Step s = digestOnly.handle(message(4, List.of("mallory", REALM, c.get(1),
                "/RedirectionService", "x", "00000002", "0".repeat(32), "auth")));
        assertEquals(SessionAuthenticator.Outcome.REJECTED, s.outcome());
    }

    @Test
    void plainPasswordOnlyWhenConfigured() {
        byte[] amtterm14 = message(1, List.of("admin", PASSWORD));
        SessionAuthenticator.Step off = digestOnly.handle(amtterm14);
        assertEquals(SessionAuthenticator.Outcome.REJECTED, off.outcome());
        assertEquals(Messages.AUTH_NOT_SUPPORTED, off.reply()[1]);
        SessionAuthenticator.Step on = withPlain.handle(amtterm14);
        assertEquals(SessionAuthenticator.Outcome.ACCEPTED, on.outcome(), on.why());
        assertArrayEquals(new byte[] {0x14, 0, 0, 0, 1, 0, 0, 0, 0}, on.reply());
        SessionAuthenticator.Step wrong = withPlain.handle(message(1, List.of("admin", "nope")));
        assertEquals(SessionAuthenticator.Outcome.REJECTED, wrong.outcome());
        assertEquals(Messages.AUTH_FAILURE, wrong.reply()[1]);
        assertTrue(wrong.why().contains("wrong"));
    }
}
