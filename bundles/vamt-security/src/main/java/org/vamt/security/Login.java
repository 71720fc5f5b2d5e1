package org.vamt.security;

/**
 * The outcome of one login attempt: {@link Accepted} with the user, or {@link Rejected} with why.
 * Lockout and the audit record of a failed login are already taken care of when it is returned.
 */
public sealed interface Login permits Login.Accepted, Login.Rejected {

    /** The credentials are good and the user is not locked out. */
    record Accepted(String user) implements Login {
    }

    /**
     * @param stale true when only the Digest nonce was too old: the client should retry with a new one
     * @param why   for the log; never contains a secret
     */
    record Rejected(boolean stale, String why) implements Login {
    }
}
