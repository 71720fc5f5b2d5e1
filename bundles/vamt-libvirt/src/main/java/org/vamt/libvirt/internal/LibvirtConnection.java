package org.vamt.libvirt.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.libvirt.Error;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.OperationDeadline;

/**
 * The one libvirt connection of the component, shared by all callers (libvirt connections are
 * thread-safe; with the test driver all state lives in one connection).
 *
 * <ul>
 *   <li>Opening happens on the "connector" thread; callers wait at most {@code connectTimeout} and
 *       get {@link Reason#UNAVAILABLE} otherwise, so a hanging libvirtd never blocks them forever.</li>
 *   <li>A call made for a client operation ({@link OperationDeadline}) to a libvirtd (not the
 *       in-process test driver, which cannot hang) runs on a bounded pool of call threads and is
 *       waited for only until the operation's deadline: a hung libvirtd costs the client a
 *       timeout, not its request thread. A call that overran keeps its thread until libvirt
 *       returns (a native call ignores interrupts). Such an overdue call sends libvirtd a probe; left
 *       unanswered for {@value #PROBE_TIMEOUT_MS} ms, libvirtd counts as frozen ({@link OverdueCalls})
 *       and further calls are refused at once (the operation times out) until the probe is answered; so
 *       are they once {@code maxCallThreads} are held: threads never pile up.</li>
 *   <li>The connection is found dead by libvirt's close callback (socket closed, keepalive timeout if
 *       configured: off by default, since libvirt 9.0's client crashes when its keepalive closes a
 *       connection under several waiting calls),
 *       by {@code virConnectIsAlive} before each call, or by a connection error of a call. It is then
 *       retired, and reopened in the background every {@code reconnectInterval} until that works;
 *       each new connection gets the keepalive, the close callback and the lifecycle listener.</li>
 *   <li>A retired connection is closed only once no call uses it any more (closing a
 *       {@code virConnectPtr} under a running call could crash the JVM).</li>
 * </ul>
 */
final class LibvirtConnection {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtConnection.class);

    /** Work done with the connection. May throw {@link HypervisorException} for its own checks. */
    @FunctionalInterface
    interface Call<T> {
        T call(VamtConnect connect) throws LibvirtException, NativeVirt.NativeException, HypervisorException;
    }

    /** Told about (re)connections, on the connector thread. */
    interface Observer {
        void connected(VamtConnect connect, boolean reconnect);
    }

    /** One opened connection and how many calls use it right now. */
    private static final class Handle {
        final VamtConnect connect;
        final long generation;
        final AtomicInteger users = new AtomicInteger();
        final AtomicBoolean closing = new AtomicBoolean();
        volatile boolean retired;

        Handle(VamtConnect connect, long generation) {
            this.connect = connect;
            this.generation = generation;
        }
    }

    private final String uri;
    private final int keepaliveInterval;
    private final int keepaliveCount;
    private final long connectTimeoutMs;
    private final long reconnectIntervalMs;
    private final LifecycleListener lifecycle;
    private final Observer observer;
    private final ScheduledExecutorService connector;
    private final AtomicLong generations = new AtomicLong();
    /** Null for the in-process test driver: its calls run on the caller's thread. */
    private final ThreadPoolExecutor callers;
    private final int maxCallThreads;
    /** Calls past their deadline still in libvirtd, and whether libvirtd looks frozen because of them. */
    private final OverdueCalls overdue;
    /** How long libvirtd may take to answer a probe after a call overran before it counts as frozen. */
    static final long PROBE_TIMEOUT_MS = 2_000;
    /**
     * How often a remote connection asks libvirtd a cheap question, so that a frozen libvirtd shows
     * in {@link #frozen()} (and in /health) without waiting for a client's call to overrun; 0: never.
     */
    private final long heartbeatMs;
    /** The heartbeat's own deadline: past it, the question becomes an overdue call and is probed. */
    static final long HEARTBEAT_DEADLINE_MS = 2_000;
    private final ScheduledExecutorService heartbeat;

    private final Object lock = new Object();
    private Handle current;                            // guarded by lock
    private CompletableFuture<Handle> pending;         // guarded by lock
    private boolean reconnectScheduled;                // guarded by lock
    private boolean everConnected;                     // guarded by lock
    private int failures;                              // guarded by lock
    private boolean stopped;                           // guarded by lock

    LibvirtConnection(String uri, int keepaliveInterval, int keepaliveCount, long connectTimeoutMs,
                      long reconnectIntervalMs, int maxCallThreads, long heartbeatMs, LifecycleListener lifecycle,
                      Observer observer) {
        this.uri = uri;
        this.maxCallThreads = maxCallThreads;
        this.callers = inProcess(uri) ? null : callThreads(maxCallThreads);
        this.overdue = new OverdueCalls(uri, PROBE_TIMEOUT_MS, () -> callHere("probe", null, VamtConnect::getLibVersion));
        this.keepaliveInterval = keepaliveInterval;
        this.keepaliveCount = keepaliveCount;
        this.connectTimeoutMs = connectTimeoutMs;
        this.reconnectIntervalMs = reconnectIntervalMs;
        this.lifecycle = lifecycle;
        this.observer = observer;
        this.connector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vamt-libvirt-connector");
            t.setDaemon(true);
            return t;
        });
        this.heartbeatMs = heartbeatMs;
        this.heartbeat = callers == null || heartbeatMs <= 0 ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vamt-libvirt-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    String uri() {
        return uri;
    }

    /** Starts connecting in the background; calls wait for it. */
    void start() {
        synchronized (lock) {
            openLocked();
        }
        if (heartbeat != null) {
            heartbeat.scheduleWithFixedDelay(this::heartbeat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One question to an open, unfrozen libvirtd under a deadline (a frozen one is already being
     * probed: its answer ends the freeze). An unanswered question freezes the connection as a
     * client's overdue call would; the answer is not needed.
     */
    private void heartbeat() {
        if (overdue.frozen() || !isConnected()) {
            return;
        }
        OperationDeadline.Outcome<?> o = OperationDeadline.run(HEARTBEAT_DEADLINE_MS,
                () -> call("heartbeat", null, VamtConnect::getLibVersion));
        if (o.expired()) {
            LOG.debug("libvirt at {}: heartbeat unanswered ({})", uri, o.expiredBecause());
        }
    }

    /** True when a connection is open and alive right now. */
    boolean isConnected() {
        synchronized (lock) {
            return current != null && alive(current);
        }
    }

    /** Generation number of the current connection (1 for the first), 0 when there is none. */
    long generation() {
        synchronized (lock) {
            return current == null ? 0 : current.generation;
        }
    }

    /**
     * Runs {@code call} with the shared connection, opening it first when needed, and turns libvirt
     * errors into {@link HypervisorException}s.
     *
     * @param op      what is being done, for messages
     * @param subject the machine (name/uuid) or other subject, for messages
     */
    <T> T call(String op, String subject, Call<T> call) throws HypervisorException {
        OperationDeadline deadline = callers == null ? null : OperationDeadline.current();
        return deadline == null ? callHere(op, subject, call) : callBefore(deadline, op, subject, call);
    }

    /**
     * The libvirt test driver keeps its domains in this process ({@code test:///…}); every other
     * URI, {@code test+unix://} included, talks to a daemon that may stop answering.
     */
    static boolean inProcess(String uri) {
        return uri.startsWith("test:");
    }

    private static ThreadPoolExecutor callThreads(int max) {
        AtomicInteger n = new AtomicInteger();
        // no queue: a call gets a thread at once or is refused
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "vamt-libvirt-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return pool;
    }

    /**
     * {@code call} on a call thread, waited for until the operation's deadline. Refused at once while
     * libvirtd looks frozen (a call overran and a probe went unanswered): the client gets the same
     * timeout as at its deadline, and no further thread joins the wait.
     */
    private <T> T callBefore(OperationDeadline deadline, String op, String subject, Call<T> call)
            throws HypervisorException {
        String what = op + (subject == null || subject.isEmpty() ? "" : " " + subject);
        if (overdue.frozen()) {
            deadline.expire("libvirt at " + uri + " does not answer");
            throw new HypervisorException(Reason.UNAVAILABLE, what + ": not attempted, libvirt at " + uri
                    + " does not answer");
        }
        OverdueCalls.Call inFlight = overdue.start();
        FutureTask<T> task = new FutureTask<>(() -> {
            try {
                return callHere(op, subject, call);
            } finally {
                inFlight.returned();
            }
        });
        try {
            callers.execute(task);
        } catch (RejectedExecutionException allHeld) {
            deadline.expire("libvirt at " + uri + " has not returned " + maxCallThreads + " calls");
            throw new HypervisorException(Reason.UNAVAILABLE, what + ": not attempted, libvirt at " + uri
                    + " has not returned " + maxCallThreads + " earlier calls");
        }
        try {
            return task.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // not interrupted: the native call would ignore it; its thread comes back when libvirt answers
            inFlight.overran(what);
            deadline.expire("libvirt at " + uri + " did not answer " + what + " in time");
            LOG.debug("libvirt at {} did not answer {} before the operation's deadline", uri, what);
            throw new HypervisorException(Reason.UNAVAILABLE, what + ": libvirt at " + uri + " did not answer in time");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HypervisorException he) {
                throw he;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof java.lang.Error err) {
                throw err;
            }
            throw new HypervisorException(Reason.FAILED, what + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(Reason.UNAVAILABLE, what + ": interrupted");
        }
    }

    /** How many calls overran their operation's deadline and are still in libvirtd. */
    int overdueCalls() {
        return overdue.count();
    }

    /** True while libvirtd counts as frozen and calls are refused at once. */
    boolean frozen() {
        return overdue.frozen();
    }

    /** Call threads held now (by calls running or hung); 0 for the in-process driver. */
    int callThreadsHeld() {
        return callers == null ? 0 : callers.getActiveCount();
    }

    private <T> T callHere(String op, String subject, Call<T> call) throws HypervisorException {
        Handle h = acquire();
        try {
            return call.call(h.connect);
        } catch (LibvirtException e) {
            throw failure(h, op, subject, e.getError(), e);
        } catch (NativeVirt.NativeException e) {
            throw failure(h, op, subject, e.error(), e);
        } finally {
            release(h);
        }
    }

    /** Drops the current connection (as if libvirt had closed it) and reconnects in the background. */
    void reconnect(String reason) {
        synchronized (lock) {
            if (current != null) {
                retireLocked(current, reason);
            }
        }
    }

    /** Closes the connection and stops reconnecting. Waits up to {@code waitMs} for running calls. */
    void stop(long waitMs) {
        Handle h;
        CompletableFuture<Handle> p;
        synchronized (lock) {
            stopped = true;
            h = current;
            current = null;
            p = pending;
            pending = null;
        }
        if (p != null) {
            p.completeExceptionally(new IllegalStateException("stopped"));
        }
        if (h != null) {
            h.retired = true;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
            while (h.users.get() > 0 && System.nanoTime() < deadline) {
                sleepQuietly(20);
            }
            if (h.users.get() > 0) {
                LOG.warn("libvirt connection to {} still in use by {} call(s); not closing it", uri, h.users.get());
            } else if (h.closing.compareAndSet(false, true)) {
                closeHandle(h);
            }
        }
        connector.shutdownNow();
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        if (callers != null) {
            callers.shutdownNow();
        }
        try {
            if (!connector.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                LOG.warn("libvirt connector thread for {} did not stop (a connection attempt may hang)", uri);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------

    private Handle acquire() throws HypervisorException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectTimeoutMs);
        while (true) {
            CompletableFuture<Handle> f;
            synchronized (lock) {
                if (stopped) {
                    throw new HypervisorException(Reason.UNAVAILABLE, "libvirt connection to " + uri + " is stopped");
                }
                if (current != null && !alive(current)) {
                    retireLocked(current, "connection is no longer alive");
                }
                if (current != null) {
                    current.users.incrementAndGet();
                    return current;
                }
                f = openLocked();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new HypervisorException(Reason.UNAVAILABLE,
                        "no libvirt connection to " + uri + " within " + connectTimeoutMs + " ms");
            }
            try {
                f.get(left, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw new HypervisorException(Reason.UNAVAILABLE,
                        "cannot connect to libvirt at " + uri + ": " + describe(cause), cause);
            } catch (TimeoutException e) {
                throw new HypervisorException(Reason.UNAVAILABLE,
                        "timed out after " + connectTimeoutMs + " ms connecting to libvirt at " + uri);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HypervisorException(Reason.UNAVAILABLE, "interrupted while connecting to " + uri);
            }
        }
    }

    private void release(Handle h) {
        if (h.users.decrementAndGet() == 0 && h.retired) {
            scheduleClose(h);
        }
    }

    /** Starts an open attempt unless one is running; returns it. Caller holds the lock. */
    private CompletableFuture<Handle> openLocked() {
        if (pending == null && !stopped) {
            CompletableFuture<Handle> f = new CompletableFuture<>();
            pending = f;
            try {
                connector.execute(() -> open(f));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending = null;
                f.completeExceptionally(e);
            }
            return f;
        }
        return pending != null ? pending : CompletableFuture.failedFuture(new IllegalStateException("stopped"));
    }

    /** On the connector thread. */
    private void open(CompletableFuture<Handle> f) {
        VamtConnect c = null;
        try {
            c = new VamtConnect(uri);
            Handle h = new Handle(c, generations.incrementAndGet());
            try {
                c.setKeepAlive(keepaliveInterval, keepaliveCount);
            } catch (LibvirtException e) {
                LOG.debug("libvirt at {}: no keepalive ({})", uri, e.getMessage());
            }
            try {
                c.registerCloseListener((conn, reason) -> closedByLibvirt(h, String.valueOf(reason)));
            } catch (LibvirtException e) {
                LOG.debug("libvirt at {}: no close callback ({})", uri, e.getMessage());
            }
            c.addLifecycleListener(lifecycle);
            boolean reconnect;
            synchronized (lock) {
                if (pending == f) {
                    pending = null;
                }
                if (stopped) {
                    h.closing.set(true);
                    closeHandle(h);
                    f.completeExceptionally(new IllegalStateException("stopped"));
                    return;
                }
                current = h;
                reconnect = everConnected;
                everConnected = true;
                failures = 0;
            }
            LOG.info("{} libvirt at {} (driver {}, connection #{})", reconnect ? "Reconnected to" : "Connected to",
                    uri, driverType(c), h.generation);
            f.complete(h);
            try {
                observer.connected(c, reconnect);
            } catch (RuntimeException e) {
                LOG.warn("after connecting to {}: {}", uri, e.toString(), e);
            }
        } catch (LibvirtException | RuntimeException | LinkageError e) {
            if (c != null) {
                closeConnect(c, 0);
            }
            int n;
            synchronized (lock) {
                if (pending == f) {
                    pending = null;
                }
                n = ++failures;
            }
            if (n == 1) {
                LOG.warn("Cannot connect to libvirt at {}: {} (retrying every {} s)", uri, describe(e),
                        reconnectIntervalMs / 1000.0);
            } else {
                LOG.debug("Connection attempt {} to libvirt at {} failed: {}", n, uri, describe(e));
            }
            f.completeExceptionally(e);
            scheduleReconnect(reconnectIntervalMs);
        }
    }

    /** libvirt's close callback, on the event loop thread. */
    private void closedByLibvirt(Handle h, String reason) {
        LOG.warn("libvirt closed the connection to {} (reason {})", uri, reason);
        synchronized (lock) {
            if (current == h) {
                retireLocked(h, "closed by libvirt: " + reason);
            }
        }
    }

    /** Takes {@code h} out of service and schedules a reconnect. Caller holds the lock. */
    private void retireLocked(Handle h, String reason) {
        if (current == h) {
            current = null;
            LOG.warn("Dropping libvirt connection #{} to {}: {}", h.generation, uri, reason);
        }
        h.retired = true;
        if (h.users.get() == 0) {
            scheduleClose(h);
        }
        scheduleReconnectLocked(0);
    }

    private void scheduleReconnect(long delayMs) {
        synchronized (lock) {
            scheduleReconnectLocked(delayMs);
        }
    }

    private void scheduleReconnectLocked(long delayMs) {
        if (stopped || current != null || pending != null || reconnectScheduled) {
            return;
        }
        reconnectScheduled = true;
        try {
            connector.schedule(() -> {
                synchronized (lock) {
                    reconnectScheduled = false;
                    if (current == null) {
                        openLocked();
                    }
                }
            }, delayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reconnectScheduled = false;
        }
    }

    private void scheduleClose(Handle h) {
        if (h.closing.compareAndSet(false, true)) {
            try {
                connector.execute(() -> closeHandle(h));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closeHandle(h);
            }
        }
    }

    private void closeHandle(Handle h) {
        closeConnect(h.connect, h.generation);
    }

    /** Deregisters our callbacks (they hold references on the connection), then closes it. */
    private void closeConnect(VamtConnect c, long generation) {
        try {
            c.removeLifecycleListener(lifecycle);
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("removing lifecycle listener from {}: {}", uri, e.getMessage());
        }
        try {
            c.unregisterCloseListener();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("unregistering close callback from {}: {}", uri, e.getMessage());
        }
        try {
            int refs = c.close();
            LOG.debug("Closed libvirt connection #{} to {} ({} references left)", generation, uri, refs);
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("closing libvirt connection #{} to {}: {}", generation, uri, e.getMessage());
        }
    }

    private HypervisorException failure(Handle h, String op, String subject, Error error, Exception cause) {
        ErrorNumber code = error == null ? null : error.getCode();
        String text = error != null && error.getMessage() != null ? error.getMessage() : String.valueOf(cause.getMessage());
        String message = op + (subject == null || subject.isEmpty() ? "" : " " + subject) + ": " + text;
        if (ErrorMapping.isConnectionError(code) || !alive(h)) {
            synchronized (lock) {
                if (current == h) {
                    retireLocked(h, message);
                }
            }
            return new HypervisorException(Reason.UNAVAILABLE, message, cause);
        }
        return new HypervisorException(ErrorMapping.reason(code), message, cause);
    }

    private static boolean alive(Handle h) {
        try {
            return h.connect.isConnected() && h.connect.isAlive();
        } catch (LibvirtException | RuntimeException e) {
            return false;
        }
    }

    private static String driverType(VamtConnect c) {
        try {
            return c.getType();
        } catch (LibvirtException | RuntimeException e) {
            return "?";
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof LibvirtException) {
            Error e = ((LibvirtException) t).getError();
            if (e != null) {
                return e.getMessage() + " [" + e.getCode() + "]";
            }
        }
        return String.valueOf(t);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
