package org.vamt.remote.internal;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A gateway's answers to one node's reads (a VM's state, hardware, definition, boot device, stored
 * state), kept while that node's change journal is followed: every change the node journals for a VM
 * (a lifecycle event, or a call through the link from any gateway) drops the VM's answers, and so
 * does every change this gateway sends. An answer is kept at most {@code maxAgeMillis}, the bound on
 * how late a change made behind vAMT's back and not announced by libvirt (e.g. {@code virsh setvcpus
 * --live}) shows. A fetch that started before a drop is not stored (versions).
 */
final class ReadCache {
    /** What {@link #get} answers when nothing (fresh) is kept. */
    static final Object MISS = new Object();

    /** Versions come from one counter, so a VM dropped and seen again never reuses one. */
    private static final AtomicLong VERSIONS = new AtomicLong();

    private final long maxAgeNanos;
    private final LongSupplier clock;
    private final Map<String, Vm> vms = new ConcurrentHashMap<>();

    private static final class Vm {
        long version = VERSIONS.incrementAndGet();
        final Map<String, Kept> answers = new HashMap<>();
    }

    private record Kept(Object value, long at) {
    }

    ReadCache(long maxAgeMillis) {
        this(maxAgeMillis, System::nanoTime);
    }

    ReadCache(long maxAgeMillis, LongSupplier clock) {
        this.maxAgeNanos = Math.max(0, maxAgeMillis) * 1_000_000;
        this.clock = clock;
    }

    /** The key of a read: its method and its arguments after the VM's UUID (sets in order). */
    static String key(Method method, Object[] args) {
        StringBuilder b = new StringBuilder(method.getName());
        for (int i = 1; args != null && i < args.length; i++) {
            Object a = args[i];
            b.append('|').append(a instanceof Collection<?> c ? new TreeSet<>(c.stream().map(String::valueOf).toList()) : a);
        }
        return b.toString();
    }

    private static String id(String uuid) {
        return uuid.toLowerCase(Locale.ROOT);
    }

    private Vm vm(String uuid) {
        return vms.computeIfAbsent(id(uuid), u -> new Vm());
    }

    /** The kept answer, or {@link #MISS}. */
    Object get(String uuid, String key) {
        Vm vm = vms.get(id(uuid));
        if (vm == null) {
            return MISS;
        }
        synchronized (vm) {
            Kept k = vm.answers.get(key);
            if (k == null) {
                return MISS;
            }
            if (clock.getAsLong() - k.at > maxAgeNanos) {
                vm.answers.remove(key);
                return MISS;
            }
            return k.value;
        }
    }

    /** The VM's version now: take it before fetching, give it to {@link #put}. */
    long version(String uuid) {
        Vm vm = vm(uuid);
        synchronized (vm) {
            return vm.version;
        }
    }

    /** Keeps an answer fetched at {@code version}, unless the VM changed since. */
    void put(String uuid, long version, String key, Object value) {
        Vm vm = vm(uuid);
        synchronized (vm) {
            if (vm.version == version) {
                vm.answers.put(key, new Kept(value, clock.getAsLong()));
            }
        }
    }

    /** The VM changed: its answers go, and fetches under way are not kept. */
    void forget(String uuid) {
        Vm vm = vm(uuid);
        synchronized (vm) {
            vm.version = VERSIONS.incrementAndGet();
            vm.answers.clear();
        }
    }

    /** Drops answers past their age and VMs with none (memory stays bounded by what is read). */
    void sweep() {
        long now = clock.getAsLong();
        vms.values().removeIf(vm -> {
            synchronized (vm) {
                vm.answers.values().removeIf(k -> now - k.at > maxAgeNanos);
                // a VM without answers goes; a fetch under way then meets a new version and is not kept
                return vm.answers.isEmpty();
            }
        });
    }

    /** VMs with kept answers (for tests and the node list). */
    int size() {
        return vms.size();
    }
}
