package org.vamt.redirection.internal;

import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.vamt.provider.redirection.RedirectionSessions.Kind;

/**
 * Per-VM session accounting: how many connections a VM has (any state, capped), and which VMs
 * have their one SOL and one KVM session taken. AMT lets one console at a time type into the
 * serial port or drive the screen; a second one is told "busy".
 */
final class SessionSlots {
    private final int maxPerVm;
    private final Map<String, Integer> connections = new HashMap<>();
    /** "KIND:uuid" → what ends that session. */
    private final Map<String, Closeable> taken = new HashMap<>();

    SessionSlots(int maxPerVm) {
        this.maxPerVm = maxPerVm;
    }

    /** Counts a new connection to the VM; false when it already has the most allowed. */
    synchronized boolean connect(String uuid) {
        int n = connections.getOrDefault(uuid, 0);
        if (n >= maxPerVm) {
            return false;
        }
        connections.put(uuid, n + 1);
        return true;
    }

    synchronized void disconnect(String uuid) {
        connections.computeIfPresent(uuid, (k, n) -> n <= 1 ? null : n - 1);
    }

    synchronized boolean isTaken(String uuid, Kind kind) {
        return taken.containsKey(kind + ":" + uuid);
    }

    /** Takes the VM's SOL or KVM slot; false when another session holds it. */
    synchronized boolean take(String uuid, Kind kind, Closeable terminate) {
        return taken.putIfAbsent(kind + ":" + uuid, terminate) == null;
    }

    synchronized void release(String uuid, Kind kind) {
        taken.remove(kind + ":" + uuid);
    }

    /** Ends the session holding the slot; false when none does. */
    boolean terminate(String uuid, Kind kind) {
        Closeable c;
        synchronized (this) {
            c = taken.get(kind + ":" + uuid);
        }
        if (c == null) {
            return false;
        }
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
        return true;
    }
}
