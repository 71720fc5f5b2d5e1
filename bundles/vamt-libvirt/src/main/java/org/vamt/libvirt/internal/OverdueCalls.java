package org.vamt.libvirt.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a frozen libvirtd from a slow call. A call that overran its operation's deadline may be
 * legitimately slow (a VM start under load, a client that asked for a 10 ms OperationTimeout), so
 * it only triggers a probe: a cheap question to libvirtd on a thread of its own. Unanswered within
 * {@code probeTimeoutMs}, libvirtd counts as frozen and {@link LibvirtConnection} refuses new calls
 * at once instead of adding them to the wait (each would hold a call thread; and libvirt 9.0's
 * client crashes, SIGSEGV in {@code g_main_loop_quit}, when a connection is closed under many
 * waiting calls). The probe's answer, whenever it comes, ends the freeze. Freeze and thaw are
 * logged once each.
 */
final class OverdueCalls {
    private static final Logger LOG = LoggerFactory.getLogger(OverdueCalls.class);

    /** A question libvirtd answers at once when it runs (its library version). */
    interface Probe {
        void ask() throws Exception;
    }

    private static final int RUNNING = 0;
    private static final int OVERDUE = 1;
    private static final int RETURNED = 2;

    private static final Executor PROBE_THREADS = task -> {
        Thread t = new Thread(task, "vamt-libvirt-probe");
        t.setDaemon(true);
        t.start();
    };

    private final String uri;
    private final long probeTimeoutMs;
    private final Probe probe;
    private final Object lock = new Object();
    private int count;                              // guarded by lock
    private CompletableFuture<Void> probing;        // guarded by lock; null when no probe is out
    private long frozenSinceNanos;                  // guarded by lock
    /** Read on every call without the lock; written under it. */
    private volatile boolean frozen;

    OverdueCalls(String uri, long probeTimeoutMs, Probe probe) {
        this.uri = uri;
        this.probeTimeoutMs = probeTimeoutMs;
        this.probe = probe;
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
                synchronized (lock) {
                    count--;
                }
            }
        }
    }

    Call start() {
        return new Call();
    }

    /** True from a probe left unanswered for {@code probeTimeoutMs} until it is answered. */
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
        CompletableFuture<Void> answer;
        synchronized (lock) {
            count++;
            if (probing != null) {
                return;
            }
            answer = new CompletableFuture<>();
            probing = answer;
        }
        PROBE_THREADS.execute(() -> {
            try {
                probe.ask();
            } catch (Exception | LinkageError e) {
                // an answer all the same: libvirtd (or the connection's end) spoke
                LOG.debug("libvirt at {}: probe failed: {}", uri, e.toString());
            } finally {
                answered(answer);
            }
        });
        CompletableFuture.delayedExecutor(probeTimeoutMs, TimeUnit.MILLISECONDS).execute(() -> unanswered(answer, what));
    }

    private void unanswered(CompletableFuture<Void> answer, String what) {
        synchronized (lock) {
            if (probing != answer) {
                return;             // answered in time
            }
            frozenSinceNanos = System.nanoTime();
            frozen = true;
        }
        LOG.warn("libvirt at {} did not answer {} before its operation's deadline, nor a probe in {} ms: "
                + "refusing further calls (wsman:TimedOut) until it answers", uri, what, probeTimeoutMs);
    }

    private void answered(CompletableFuture<Void> answer) {
        long frozenMs;
        synchronized (lock) {
            if (probing == answer) {
                probing = null;
            }
            if (!frozen) {
                return;
            }
            frozen = false;
            frozenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenSinceNanos);
        }
        LOG.info("libvirt at {} answered again after {} ms frozen: accepting calls", uri, frozenMs);
    }
}
