package org.vamt.endpoints.internal;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the endpoint map behind the events that change it. Each change hands the whole map over
 * and returns; one writer thread writes the latest map it was handed, so a burst of changes (a
 * gateway importing a node's 1,000 VMs one lifecycle event at a time) costs a few writes instead of
 * one durable rewrite of the whole file per VM, which held a gateway at 5-9 new VMs a second with
 * 10,000 VMs (benchmark stage scaleout). {@link #flush} waits until what was handed over is on disk:
 * an operator's move and the component's stop use it.
 */
final class WriteBehindStore implements MachineEndpoints.Store {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBehindStore.class);
    private final MachineEndpoints.Store target;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vamt-endpoint-map-writer");
        t.setDaemon(true);
        return t;
    });
    private Collection<MachineEndpoints.Identity> pending;
    private long handedOver;
    private long written;
    private boolean writing;
    private RuntimeException lastFailure;

    WriteBehindStore(MachineEndpoints.Store target) {
        this.target = target;
    }

    @Override
    public Map<String, MachineEndpoints.Identity> load() {
        flush();
        return target.load();
    }

    @Override
    public synchronized void save(Collection<MachineEndpoints.Identity> identities) {
        pending = identities;
        handedOver++;
        if (!writing) {
            writing = true;
            writer.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Collection<MachineEndpoints.Identity> next;
            long upTo;
            synchronized (this) {
                if (pending == null) {
                    writing = false;
                    notifyAll();
                    return;
                }
                next = pending;
                upTo = handedOver;
                pending = null;
            }
            RuntimeException failure = null;
            try {
                target.save(next);
            } catch (RuntimeException e) {
                failure = e;
                LOG.warn("The endpoint map could not be written (the next change tries again): {}", e.getMessage());
            }
            synchronized (this) {
                written = upTo;
                lastFailure = failure;
                notifyAll();
            }
        }
    }

    /**
     * Waits until every map handed over so far is written (at most 30 s); the failure of that write,
     * if it failed, is thrown here, to the one who asked for it to be durable.
     */
    @Override
    public synchronized void flush() {
        long wanted = handedOver;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (written < wanted) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the endpoint map was not written within 30 s");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (lastFailure != null) {
            throw lastFailure;
        }
    }

    /** Writes what is pending and stops the writer. */
    void close() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("The endpoint map could not be written at stop: {}", e.getMessage());
        } finally {
            writer.shutdown();
        }
    }
}
