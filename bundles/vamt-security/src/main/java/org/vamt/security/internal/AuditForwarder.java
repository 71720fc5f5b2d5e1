package org.vamt.security.internal;

import java.util.ArrayDeque;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditTrail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes audit events to the audit log service, holding them while that service is not (yet)
 * there. The listeners answer as soon as the CIMOM is up, and on a busy start the audit log bundle
 * may come a moment later; an audited operation answered in that moment must still be in the log.
 * Bounded: without any audit log bundle the oldest held events are dropped (and said so once).
 */
final class AuditForwarder implements AuditTrail {
    private static final Logger LOG = LoggerFactory.getLogger(AuditForwarder.class);

    private final int capacity;
    private final ArrayDeque<AuditEvent> held = new ArrayDeque<>();
    private AuditTrail target;
    private boolean warnedFull;

    AuditForwarder(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public void record(AuditEvent event) {
        AuditTrail now;
        synchronized (this) {
            now = target;
            if (now == null) {
                if (held.size() == capacity) {
                    held.removeFirst();
                    if (!warnedFull) {
                        warnedFull = true;
                        LOG.warn("No audit log service for {} audit events; dropping the oldest held ones", capacity);
                    }
                }
                held.addLast(event);
                return;
            }
        }
        now.record(event);
    }

    /**
     * Asks the audit log service; while there is none the event would be held (and recorded when
     * it comes), so the operation may run.
     */
    @Override
    public boolean allows(String machineId, int appId, int eventId) {
        AuditTrail now;
        synchronized (this) {
            now = target;
        }
        return now == null || now.allows(machineId, appId, eventId);
    }

    /** The audit log service arrived: it receives what was held, in order, then every new event. */
    void bind(AuditTrail trail) {
        synchronized (this) {
            // replayed under the lock: events recorded meanwhile wait, so the log keeps their order
            while (!held.isEmpty()) {
                trail.record(held.removeFirst());
            }
            target = trail;
            warnedFull = false;
        }
    }

    synchronized void unbind(AuditTrail trail) {
        if (target == trail) {
            target = null;
        }
    }

    synchronized int heldCount() {
        return held.size();
    }
}
