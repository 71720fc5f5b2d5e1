package org.vamt.accounts;

/** A change to the users that cannot be made; {@link #reason()} says why in AMT's terms. */
public class AccountException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The failures AMT_AuthorizationService distinguishes by return code. */
    public enum Reason { INVALID_NAME, INVALID_PASSWORD, INVALID_REALM, DUPLICATE, NOT_FOUND, NOT_PERMITTED,
        LIMIT_REACHED, STORAGE }

    private final Reason reason;

    public AccountException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public AccountException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
