package org.vamt.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SessionsTest {
    @Test
    void aSessionEndsAfterItsIdleTimeAndEachHasItsOwnTokens() {
        Sessions sessions = new Sessions(1_000);
        Sessions.Session a = sessions.open("ops", 0);
        Sessions.Session b = sessions.open("ops", 0);
        assertNotEquals(a.id, b.id);
        assertNotEquals(a.csrf, b.csrf);
        assertNotEquals(a.id, a.csrf);
        assertSame(a, sessions.find(a.id, 900));
        assertSame(a, sessions.find(a.id, 1_800), "each request starts the idle time again");
        assertNull(sessions.find(b.id, 1_800), "idle for 1.8 s");
        assertNull(sessions.find(a.id, 2_801));
        assertNull(sessions.find(null, 0));
    }

    @Test
    void theLeastRecentlyUsedSessionGivesWayWhenAllAreTaken() {
        Sessions sessions = new Sessions(60_000);
        Sessions.Session first = sessions.open("u0", 0);
        Sessions.Session second = sessions.open("u1", 0);
        for (int i = 2; i < Sessions.MAX; i++) {
            sessions.open("u" + i, 0);
        }
        sessions.find(first.id, 1);
        sessions.open("newcomer", 2);
        assertEquals(Sessions.MAX, sessions.size());
        assertSame(first, sessions.find(first.id, 3));
        assertNull(sessions.find(second.id, 3));
    }

    @Test
    void tokensCompareWholeAndNeverMatchAMissingOne() {
        String t = Sessions.newToken();
        assertTrue(Sessions.sameToken(t, new String(t)));
        assertFalse(Sessions.sameToken(t, t.substring(1)));
        assertFalse(Sessions.sameToken(t, null));
        assertFalse(Sessions.sameToken(null, null));
        assertEquals(43, t.length(), "256 random bits, base64url");
    }

    @Test
    void theMessageForTheNextPageIsShownOnce() {
        Sessions.Session s = new Sessions(1_000).open("ops", 0);
        s.say("VM kiosk: off requested.", false);
        assertEquals("VM kiosk: off requested.", s.takeMessage()[0]);
        assertNull(s.takeMessage());
    }
}
