package org.vamt.libvirt.internal;

import java.util.concurrent.TimeUnit;

import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default (poll based) event loop, run by one daemon thread. libvirt needs it for domain
 * events, keepalive messages and close callbacks. The loop is process-wide, so it is reference
 * counted: the first {@link #acquire()} starts the thread, the last {@link #release()} stops it.
 *
 * <p>{@link Library#initEventLoop()} must run before the first connection is opened; it registers
 * the implementation only once per class loader, so starting again after a stop is fine.
 */
final class EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    static final String THREAD_NAME = "vamt-libvirt-event-loop";
    private static final long STOP_TIMEOUT_MS = 5_000;

    /** libvirt errors go to SLF4J instead of stderr. Kept strongly reachable while registered. */
    private static final Libvirt.VirErrorCallback ERROR_CALLBACK = (userData, error) -> {
        if (LOG.isDebugEnabled() && error != null) {
            LOG.debug("libvirt error {}: {}", error.code, error.message);
        }
    };

    private static int users;
    private static Thread thread;
    private static volatile boolean running;

    private EventLoop() {
    }

    static synchronized void acquire() throws LibvirtException {
        if (users == 0) {
            start();
        }
        users++;
    }

    static synchronized void release() {
        if (users == 0) {
            return;
        }
        if (--users == 0) {
            stop();
        }
    }

    static synchronized boolean isRunning() {
        return thread != null && thread.isAlive();
    }

    private static void start() throws LibvirtException {
        Library.initEventLoop();
        Connect.setErrorCallback(ERROR_CALLBACK);
        running = true;
        Thread t = new Thread(EventLoop::run, THREAD_NAME);
        t.setDaemon(true);
        t.start();
        thread = t;
        LOG.debug("libvirt event loop started");
    }

    private static void run() {
        while (running) {
            try {
                Library.runEventLoop();   // returns after Library.stopEventLoop()
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (LibvirtException | RuntimeException e) {
                LOG.warn("libvirt event loop iteration failed: {}", e.getMessage(), e);
                sleepQuietly(500);
            }
        }
        LOG.debug("libvirt event loop thread ends");
    }

    private static void stop() {
        running = false;
        Thread t = thread;
        thread = null;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MS);
        // stopEventLoop() only wakes a loop that already runs, so repeat until the thread is gone.
        while (t != null && t.isAlive() && System.nanoTime() < deadline) {
            try {
                Library.stopEventLoop();
            } catch (LibvirtException | RuntimeException e) {
                LOG.debug("stopEventLoop failed: {}", e.getMessage());
            }
            try {
                t.join(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (t != null && t.isAlive()) {
            LOG.warn("libvirt event loop thread did not stop within {} ms; left behind as a daemon thread",
                    STOP_TIMEOUT_MS);
        } else {
            LOG.debug("libvirt event loop stopped");
        }
        try {
            Connect.setErrorCallback(null);   // back to libvirt's default; our callback may be unloaded
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("resetting the libvirt error callback failed: {}", e.getMessage());
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
