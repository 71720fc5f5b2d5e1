package org.vamt.dashboard.internal;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's logged-in sessions, in memory: a random id in a cookie, the JAAS user, a CSRF
 * token every form carries, and one message for the next page (what the last action did). A
 * restart logs everybody out, which is what an operator expects of a management page. Bounded:
 * the least recently used session goes when {@link #MAX} are open.
 */
final class Sessions {
    static final int MAX = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    static final class Session {
        final String id;
        final String user;
        final String csrf;
        volatile long lastUsed;
        volatile String message;
        volatile boolean messageIsError;

        Session(String id, String user, String csrf, long now) {
            this.id = id;
            this.user = user;
            this.csrf = csrf;
            this.lastUsed = now;
        }

        /** The message for the next page, once. */
        synchronized String[] takeMessage() {
            String m = message;
            message = null;
            return m == null ? null : new String[] {m, messageIsError ? "error" : "info"};
        }

        synchronized void say(String text, boolean error) {
            message = text;
            messageIsError = error;
        }
    }

    private final long idleMillis;
    private final Map<String, Session> byId = new LinkedHashMap<>(16, 0.75f, true);

    Sessions(long idleMillis) {
        this.idleMillis = idleMillis;
    }

    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Compares tokens in constant time; false when either is missing. */
    static boolean sameToken(String expected, String given) {
        return expected != null && given != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    synchronized Session open(String user, long now) {
        expire(now);
        while (byId.size() >= MAX) {
            Iterator<Session> oldest = byId.values().iterator();
            oldest.next();
            oldest.remove();
        }
        Session s = new Session(newToken(), user, newToken(), now);
        byId.put(s.id, s);
        return s;
    }

    /** The live session with this id, touched; null when unknown or idle too long. */
    synchronized Session find(String id, long now) {
        if (id == null) {
            return null;
        }
        expire(now);
        Session s = byId.get(id);
        if (s != null) {
            s.lastUsed = now;
        }
        return s;
    }

    synchronized void close(String id) {
        byId.remove(id);
    }

    synchronized int size() {
        return byId.size();
    }

    private void expire(long now) {
        byId.values().removeIf(s -> now - s.lastUsed > idleMillis);
    }
}
