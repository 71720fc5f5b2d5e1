package org.vamt.security.internal;

import org.vamt.metrics.Metrics;

/**
 * Failed logins of every front end ({@code vamt.auth.failures}, by reason: {@code credentials} wrong or unknown
 * user or password, {@code locked_out} refused during a lockout, good password or not) and lockouts started
 * ({@code vamt.auth.lockouts}). Not counted: the first, credential-less request a Digest client makes, and a
 * stale nonce, which are the protocol and no failure.
 */
record LoginMeters(Metrics metrics, Metrics.Counter badCredentials, Metrics.Counter lockedOut,
                   Metrics.Counter lockouts) {
    static final String FAILURES = "vamt.auth.failures";
    static final String LOCKOUTS = "vamt.auth.lockouts";
    static final LoginMeters OFF = of(Metrics.NONE);

    static LoginMeters of(Metrics metrics) {
        String failures = "Failed logins (Digest, passwords) of every vAMT front end, by reason";
        return new LoginMeters(metrics, metrics.counter(FAILURES, failures, "reason", "credentials"),
                metrics.counter(FAILURES, failures, "reason", "locked_out"),
                metrics.counter(LOCKOUTS, "Lockouts started after repeated failed logins (user and client address)"));
    }
}
