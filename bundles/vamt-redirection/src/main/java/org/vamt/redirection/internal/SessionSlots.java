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
    /** Per VM, the connections not yet logged in, oldest first: the ones a newcomer may push out. */
    private final Map<String, java.util.ArrayDeque<Closeable>> unauthenticated = new HashMap<>();
    /** "KIND:uuid" → what ends that session. */
    private final Map<String, Closeable> taken = new HashMap<>();

    SessionSlots(int maxPerVm) {
        this.maxPerVm = maxPerVm;
    }

    /**
     * Counts a new connection to the VM. When the VM already has the most allowed, the oldest
     * connection that has not logged in yet is closed to make room (connections that only drip
     * bytes cannot keep a console out); false when every one of them is logged in.
     */
    boolean connect(String uuid, Closeable connection) {
        Closeable evicted;
        synchronized (this) {
            int n = connections.getOrDefault(uuid, 0);
            java.util.ArrayDeque<Closeable> pending = unauthenticated.computeIfAbsent(uuid,
                    k -> new java.util.ArrayDeque<>());
            if (n < maxPerVm) {
                connections.put(uuid, n + 1);
                pending.addLast(connection);
                return true;
            }
            evicted = pending.pollFirst();
            if (evicted == null) {
                return false;
            }
            pending.addLast(connection);   // takes the place of the evicted one; its disconnect frees none
            connections.put(uuid, n + 1);
        }
        try {
            evicted.close();   // its session thread ends and calls disconnect, which frees the count
        } catch (IOException e) {
            // closing anyway
        }
        return true;
    }

    /** The connection logged in: it is no longer one a newcomer may push out. */
    synchronized void authenticated(String uuid, Closeable connection) {
        java.util.ArrayDeque<Closeable> pending = unauthenticated.get(uuid);
        if (pending != null) {
            pending.remove(connection);
        }
    }

    synchronized void disconnect(String uuid, Closeable connection) {
        connections.computeIfPresent(uuid, (k, n) -> n <= 1 ? null : n - 1);
        java.util.ArrayDeque<Closeable> pending = unauthenticated.get(uuid);
        if (pending != null) {
            pending.remove(connection);
            if (pending.isEmpty()) {
                unauthenticated.remove(uuid);
            }
        }
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

    /** How many VMs have their slot of that kind taken: the open SOL or KVM sessions. */
    synchronized int taken(Kind kind) {
        String prefix = kind + ":";
        return (int) taken.keySet().stream().filter(k -> k.startsWith(prefix)).count();
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
