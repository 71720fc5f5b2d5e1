package org.vamt.webui.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CsrfGuardTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");

    private static CsrfGuard at(Instant t) {
        return new CsrfGuard(SECRET, Clock.fixed(t, ZoneOffset.UTC));
    }

    @Test
    void aTokenIsValidForItsVmAndUserOnlyAndExpires() {
        String token = at(NOW).issue("vm-1", "alice");
        assertTrue(at(NOW.plusSeconds(60)).valid(token, "vm-1", "alice"));
        assertTrue(at(NOW).valid(token, "VM-1", "alice"), "a UUID in either case is the same VM");
        assertFalse(at(NOW).valid(token, "vm-2", "alice"));
        assertFalse(at(NOW).valid(token, "vm-1", "bob"));
        assertFalse(at(NOW.plus(CsrfGuard.LIFETIME).plus(Duration.ofSeconds(1))).valid(token, "vm-1", "alice"));
        assertFalse(new CsrfGuard("another secret, another process".getBytes(), Clock.fixed(NOW, ZoneOffset.UTC))
                .valid(token, "vm-1", "alice"));
    }

    @Test
    void forgedOrMalformedTokensAreRefused() {
        String token = at(NOW).issue("vm-1", "alice");
        String laterStamp = (NOW.getEpochSecond() + 1) + token.substring(token.indexOf('.'));
        assertFalse(at(NOW).valid(laterStamp, "vm-1", "alice"), "the time is part of the MAC");
        for (String bad : new String[] {null, "", ".", "x.y", "123", token + "x"}) {
            assertFalse(at(NOW).valid(bad, "vm-1", "alice"), String.valueOf(bad));
        }
    }

    @Test
    void theOriginMustBeThisEndpoint() {
        assertTrue(CsrfGuard.sameOrigin("http://127.0.0.2:16992", null, "127.0.0.2:16992", false));
        assertTrue(CsrfGuard.sameOrigin(null, "http://127.0.0.2:16992/remote.htm", "127.0.0.2:16992", false));
        assertTrue(CsrfGuard.sameOrigin("https://pc.example:16993", null, "PC.example:16993", true));
        assertTrue(CsrfGuard.sameOrigin("http://pc", null, "pc:80", false));
        assertFalse(CsrfGuard.sameOrigin("http://127.0.0.2:16993", null, "127.0.0.2:16992", false));
        assertFalse(CsrfGuard.sameOrigin("https://127.0.0.2:16992", null, "127.0.0.2:16992", false), "scheme");
        assertFalse(CsrfGuard.sameOrigin("http://evil.example", "http://127.0.0.2:16992/", "127.0.0.2:16992", false),
                "the Origin wins over the Referer");
        assertFalse(CsrfGuard.sameOrigin("null", null, "127.0.0.2:16992", false));
        assertFalse(CsrfGuard.sameOrigin(null, null, "127.0.0.2:16992", false));
        assertFalse(CsrfGuard.sameOrigin("http://127.0.0.2:16992", null, null, false));
        assertFalse(CsrfGuard.sameOrigin("http://[bad", null, "127.0.0.2:16992", false));
    }
}
