package org.vamt.libvirt.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libvirtd calls that overran their operation's deadline and have not returned yet. While there
 * is one, libvirtd counts as frozen and {@link LibvirtConnection} refuses new calls at once instead of
 * adding them to the wait: each would hold a call thread, and libvirt 9.0's client crashes
 * (SIGSEGV in {@code g_main_loop_quit}) when a connection is closed under many waiting calls. The
 * first overdue call and the return of the last one are logged, once each.
 */
final class OverdueCalls {
    private static final Logger LOG = LoggerFactory.getLogger(OverdueCalls.class);

    private static final int RUNNING = 0;
    private static final int OVERDUE = 1;
    private static final int RETURNED = 2;

    private final String uri;
    private final Object lock = new Object();
    private int count;                     // guarded by lock
    private long frozenSinceNanos;         // guarded by lock
    /** Read on every call without the lock; written under it. */
    private volatile boolean frozen;

    OverdueCalls(String uri) {
        this.uri = uri;
    }

    /** One call to libvirtd, from before its native call starts until it returns. */
    final class Call {
        private final AtomicInteger state = new AtomicInteger(RUNNING);

        /** Its operation's deadline passed while it still runs: counted once, whoever asks how often. */
        void overran(String what) {
            if (state.compareAndSet(RUNNING, OVERDUE)) {
                added(what);
            }
        }

        /** Its native call returned (or threw): no longer counted, if it was. */
        void returned() {
            if (state.getAndSet(RETURNED) == OVERDUE) {
                removed();
            }
        }
    }

    Call start() {
        return new Call();
    }

    /** True while a call that overran its deadline has not returned: libvirtd looks frozen. */
    boolean frozen() {
        return frozen;
    }

    /** How many calls overran their deadline and have not returned. */
    int count() {
        synchronized (lock) {
            return count;
        }
    }

    private void added(String what) {
        synchronized (lock) {
            if (count++ == 0) {
                frozenSinceNanos = System.nanoTime();
                frozen = true;
                LOG.warn("libvirt at {} did not answer {} before its operation's deadline: refusing further calls "
                        + "(wsman:TimedOut) until it answers", uri, what);
            }
        }
    }

    private void removed() {
        synchronized (lock) {
            if (--count == 0) {
                frozen = false;
                LOG.info("libvirt at {} answered again {} ms after a call overran its deadline: accepting calls", uri,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenSinceNanos));
            }
        }
    }
}
