package org.vamt.wsman.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.cim.CimInstance;

/**
 * Open enumerations between Enumerate and the last Pull. A context belongs to one VM endpoint
 * and one user; it expires when idle and the number open per endpoint is capped, so clients
 * that never Release cannot exhaust memory.
 */
final class EnumerationContexts {

    enum Mode { OBJECT, EPR, OBJECT_AND_EPR }

    static final class Enumeration {
        final String owner;
        final String resourceUri;
        final Mode mode;
        private final Deque<CimInstance> remaining;
        private final boolean classByClass;
        volatile long lastUsedNanos;

        Enumeration(String owner, String resourceUri, Mode mode, List<CimInstance> items) {
            this(owner, resourceUri, mode, items, false);
        }

        /**
         * {@code classByClass}: page as real AMT pages the enumeration of a class whose instances
         * are of several classes (CIM_PhysicalPackage: the CIM_Card first, then the other
         * packages; CIM_Chip likewise): the instances are grouped by their class, in the order
         * the classes first appear, and no batch holds two classes, so each Pull answers one
         * class and carries the context for the next while classes remain.
         */
        Enumeration(String owner, String resourceUri, Mode mode, List<CimInstance> items, boolean classByClass) {
            this.owner = owner;
            this.resourceUri = resourceUri;
            this.mode = mode;
            this.classByClass = classByClass;
            this.remaining = new ArrayDeque<>(classByClass ? groupedByClass(items) : items);
            this.lastUsedNanos = System.nanoTime();
        }

        private static List<CimInstance> groupedByClass(List<CimInstance> items) {
            Map<String, List<CimInstance>> byClass = new java.util.LinkedHashMap<>();
            for (CimInstance i : items) {
                byClass.computeIfAbsent(i.className().toLowerCase(Locale.ROOT), k -> new java.util.ArrayList<>()).add(i);
            }
            List<CimInstance> out = new java.util.ArrayList<>(items.size());
            byClass.values().forEach(out::addAll);
            return out;
        }

        /** Takes up to {@code max} items (of one class only, when paging class by class). */
        synchronized List<CimInstance> take(int max) {
            int n = Math.min(max, remaining.size());
            List<CimInstance> out = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                if (classByClass && !out.isEmpty()
                        && !out.get(0).className().equalsIgnoreCase(remaining.peek().className())) {
                    break;
                }
                out.add(remaining.poll());
            }
            return out;
        }

        synchronized boolean exhausted() {
            return remaining.isEmpty();
        }
    }

    private final Map<String, Enumeration> open = new ConcurrentHashMap<>();
    private volatile long idleNanos;
    private volatile int maxPerOwner;

    EnumerationContexts(long idleMillis, int maxPerOwner) {
        limits(idleMillis, maxPerOwner);
    }

    /** New limits; open contexts are kept. */
    void limits(long idleMillis, int maxPerOwner) {
        this.idleNanos = idleMillis * 1_000_000L;
        this.maxPerOwner = maxPerOwner;
    }

    /** Opens a context; fails with QuotaLimit when the owner already has too many open. */
    String open(Enumeration e) throws WsmanFault {
        expireIdle();
        long mine = open.values().stream().filter(o -> o.owner.equals(e.owner)).count();
        if (mine >= maxPerOwner) {
            throw WsmanFault.quotaLimit("Too many open enumerations; release some or wait for them to expire.");
        }
        String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
        open.put(id, e);
        return id;
    }

    /** The context with this id if it exists, belongs to {@code owner} and has not expired. */
    Enumeration get(String id, String owner) throws WsmanFault {
        Enumeration e = id == null ? null : open.get(id.trim());
        if (e == null || !e.owner.equals(owner) || System.nanoTime() - e.lastUsedNanos > idleNanos) {
            throw WsmanFault.invalidEnumerationContext();
        }
        e.lastUsedNanos = System.nanoTime();
        return e;
    }

    void close(String id) {
        open.remove(id.trim());
    }

    int size() {
        return open.size();
    }

    private void expireIdle() {
        long now = System.nanoTime();
        open.values().removeIf(e -> now - e.lastUsedNanos > idleNanos);
    }
}
