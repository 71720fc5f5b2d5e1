package org.vamt.hypervisor;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of the client operation the current thread serves, so that a hypervisor call,
 * the one thing on a request's path that may block without end (a hung libvirtd), can give up
 * in time while the rest of the operation runs on the request's own thread (no hand-off per
 * request). The transport sets it around an operation ({@link #run}); an implementation whose
 * call may block waits for it at most until {@link #remainingNanos()} and then calls
 * {@link #expire}; the transport then answers "timed out" whatever the operation made of the
 * failure. Threads without a deadline (background work) are not limited.
 */
public final class OperationDeadline {
    private static final ThreadLocal<OperationDeadline> CURRENT = new ThreadLocal<>();

    private final long deadlineNanos;
    private volatile String expired;

    private OperationDeadline(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Runs {@code work} on this thread with a deadline {@code millis} from now (a deadline already
     * set and earlier stays) and tells what came of it: its result or exception, and whether a
     * call gave up at the deadline.
     */
    public static <T> Outcome<T> run(long millis, Callable<T> work) {
        OperationDeadline outer = CURRENT.get();
        long at = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        OperationDeadline d = outer != null && outer.deadlineNanos - at < 0 ? outer : new OperationDeadline(at);
        CURRENT.set(d);
        try {
            T result = work.call();
            return new Outcome<>(result, null, d.expired);
        } catch (Exception e) {
            return new Outcome<>(null, e, d.expired);
        } finally {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    /**
     * What the work returned or threw, and why its deadline expired (null when no call gave up;
     * when one did, the operation timed out whatever it returned or threw).
     */
    public record Outcome<T>(T result, Exception failure, String expiredBecause) {
        public boolean expired() {
            return expiredBecause != null;
        }
    }

    /** The current thread's deadline, if it serves an operation. */
    public static OperationDeadline current() {
        return CURRENT.get();
    }

    /** Nanoseconds left (zero or less: passed). */
    public long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    /**
     * Records that a call gave up at this deadline (or could not start because the threads for
     * blocking calls are all held by calls that did not return): the operation has timed out,
     * whatever it makes of the failure it got.
     */
    public void expire(String why) {
        if (expired == null) {
            expired = why;
        }
    }

    /** Whether a call gave up at this deadline. */
    public boolean isExpired() {
        return expired != null;
    }
}
