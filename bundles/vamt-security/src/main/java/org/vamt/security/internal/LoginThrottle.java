package org.vamt.security.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Back-off after repeated failed logins (any protocol), as AMT locks a user out for a while: after
 * {@code maxFailures} bad credentials in a row for one user from one address, that pair is refused
 * (even with the right password) for {@code lockoutMillis}. A success resets the count. Bounded:
 * the oldest entries go when too many addresses are tracked. The limits can change at runtime
 * ({@link #configure}); counts and lockouts in progress are kept.
 */
final class LoginThrottle {
    private static final int MAX_TRACKED = 10_000;

    private static final class Failures {
        int count;
        long lockedUntil;
        long lastFailure;
    }

    private volatile int maxFailures;
    private volatile long lockoutMillis;
    private final Map<String, Failures> byKey = new ConcurrentHashMap<>();

    LoginThrottle(int maxFailures, long lockoutMillis) {
        configure(maxFailures, lockoutMillis);
    }

    /** New limits, applied from the next failure on. */
    void configure(int maxFailures, long lockoutMillis) {
        if (maxFailures < 1 || lockoutMillis < 0) {
            throw new IllegalArgumentException("maxFailedLogins must be at least 1 and lockoutSeconds not negative");
        }
        this.maxFailures = maxFailures;
        this.lockoutMillis = lockoutMillis;
    }

    private static String key(String user, String address) {
        return user + '\0' + address;
    }

    /** Whether {@code user} from {@code address} is locked out now. */
    boolean isLocked(String user, String address, long nowMillis) {
        Failures f = byKey.get(key(user, address));
        if (f == null) {
            return false;
        }
        synchronized (f) {
            return f.lockedUntil > nowMillis;
        }
    }

    enum Failure { COUNTED, LOCKED_NOW, WHILE_LOCKED }

    /** Counts a failure and says whether it started a lockout or came during one. */
    Failure failed(String user, String address, long nowMillis) {
        if (byKey.size() >= MAX_TRACKED) {
            byKey.values().removeIf(f -> f.lastFailure < nowMillis - lockoutMillis);
            if (byKey.size() >= MAX_TRACKED) {
                byKey.clear();
            }
        }
        Failures f = byKey.computeIfAbsent(key(user, address), k -> new Failures());
        synchronized (f) {
            f.lastFailure = nowMillis;
            if (f.lockedUntil > nowMillis) {
                return Failure.WHILE_LOCKED;
            }
            if (++f.count >= maxFailures) {
                f.count = 0;
                f.lockedUntil = nowMillis + lockoutMillis;
                return Failure.LOCKED_NOW;
            }
            return Failure.COUNTED;
        }
    }

    void succeeded(String user, String address) {
        byKey.remove(key(user, address));
    }
}
