package org.vamt.redirection.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed redirection logins per client address: after {@code maxFailures} in a row the address
 * may not try again until {@code lockoutMillis} have passed, so passwords cannot be guessed at
 * connection speed. A success clears the count.
 */
final class LoginThrottle {
    private record Failures(int count, long lastNanos) {
    }

    private final int maxFailures;
    private final long lockoutNanos;
    private final Map<String, Failures> byClient = new ConcurrentHashMap<>();

    LoginThrottle(int maxFailures, long lockoutMillis) {
        this.maxFailures = maxFailures;
        this.lockoutNanos = lockoutMillis * 1_000_000L;
    }

    boolean isLockedOut(String client) {
        Failures f = byClient.get(client);
        if (f == null) {
            return false;
        }
        if (System.nanoTime() - f.lastNanos > lockoutNanos) {
            byClient.remove(client, f);
            return false;
        }
        return f.count >= maxFailures;
    }

    void failed(String client) {
        if (byClient.size() > 10_000) {
            long now = System.nanoTime();
            byClient.values().removeIf(f -> now - f.lastNanos > lockoutNanos);
        }
        byClient.merge(client, new Failures(1, System.nanoTime()),
                (old, one) -> new Failures(old.count + 1, one.lastNanos));
    }

    void succeeded(String client) {
        byClient.remove(client);
    }
}
