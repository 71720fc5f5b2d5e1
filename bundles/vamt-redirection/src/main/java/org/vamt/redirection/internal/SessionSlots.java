package org.vamt.redirection.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Per-VM session accounting: how many connections a VM has (any state, capped), and which VMs
 * have their one SOL and one KVM session taken. AMT lets one console at a time type into the
 * serial port or drive the screen; a second one is told "busy".
 */
final class SessionSlots {
    enum Kind { SOL, KVM }

    private final int maxPerVm;
    private final Map<String, Integer> connections = new HashMap<>();
    private final Set<String> taken = new HashSet<>();

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
        return taken.contains(kind + ":" + uuid);
    }

    /** Takes the VM's SOL or KVM slot; false when another session holds it. */
    synchronized boolean take(String uuid, Kind kind) {
        return taken.add(kind + ":" + uuid);
    }

    synchronized void release(String uuid, Kind kind) {
        taken.remove(kind + ":" + uuid);
    }

    synchronized int connections(String uuid) {
        return connections.getOrDefault(uuid, 0);
    }
}
