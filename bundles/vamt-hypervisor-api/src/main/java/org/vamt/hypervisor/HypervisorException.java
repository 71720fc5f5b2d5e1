package org.vamt.hypervisor;

/** A hypervisor operation failed; {@link #reason()} says how a caller should react. */
public class HypervisorException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** No machine with that UUID. */
        NOT_FOUND,
        /** The operation makes no sense in the machine's current state (e.g. reset while off). */
        INVALID_STATE,
        /** The hypervisor or its driver cannot do this at all. */
        UNSUPPORTED,
        /** Bad argument (e.g. more vCPUs than the maximum). */
        INVALID_ARGUMENT,
        /** The hypervisor cannot be reached right now; retrying later may work. */
        UNAVAILABLE,
        /**
         * A compare-and-set lost: the stored state changed since the caller read it (another
         * gateway or component wrote in between). Read again and retry.
         */
        CONFLICT,
        /** Anything else. */
        FAILED
    }

    private final Reason reason;

    public HypervisorException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HypervisorException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
