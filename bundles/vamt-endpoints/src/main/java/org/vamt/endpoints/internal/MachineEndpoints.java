package org.vamt.endpoints.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.hypervisor.MachineId;

/**
 * Which VM answers where. A real AMT belongs to one PC, so each VM gets an identity of its own,
 * told apart in one of three ways (the {@link Strategy}): its own IP address on the standard
 * ports, its own port on one address, or its own host name in the HTTP {@code Host} header on one
 * listener. Identities are handed out in name order on the very first start, later VMs taking the
 * next free one, and then kept in a {@link Store}: a VM keeps its address, port and host name, and
 * a console its device, across restarts and when other VMs come and go.
 */
final class MachineEndpoints {

    /** How a request finds its VM. */
    enum Strategy {
        /** One IPv4 address per VM on the standard ports: the connection's local address. */
        ADDRESS,
        /** One port per VM on one address: the connection's local port. */
        PORT,
        /** One listener; the HTTP {@code Host} header names the VM. */
        HOST;

        static Strategy parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("strategy must be address, port or host, got '" + text + "'");
            }
        }
    }

    /** How identities are handed out. */
    record Settings(Strategy strategy, String firstAddress, int port, int firstPort, int portStep, String hostSuffix) {
        /** One address per VM from {@code firstAddress}, all on {@code port}. */
        static Settings addresses(String firstAddress, int port) {
            return new Settings(Strategy.ADDRESS, firstAddress, port, 0, 1, "");
        }
    }

    /** One VM's endpoint. The realm is derived from the UUID so it never changes. */
    record Endpoint(String uuid, String name, String address, int port, String hostName, String realm) {
    }

    /** What is kept of a VM across restarts; a missing part (0 or null) is handed out anew. */
    record Identity(String uuid, String name, String address, int port, String hostName) {
    }

    /** Where identities are kept between runs. */
    interface Store {
        /** Every kept identity, by lower-case UUID. */
        Map<String, Identity> load();

        /** Keeps exactly these identities (others are forgotten). */
        void save(Collection<Identity> identities);

        /** Returns once every identity saved so far is kept (a store that writes at once has nothing to wait for). */
        default void flush() {
        }
    }

    /** A store in memory only (tests, and a map with nothing to keep). */
    static final class MemoryStore implements Store {
        private final Map<String, Identity> identities = new ConcurrentHashMap<>();

        @Override
        public Map<String, Identity> load() {
            return new HashMap<>(identities);
        }

        @Override
        public void save(Collection<Identity> all) {
            identities.clear();
            all.forEach(i -> identities.put(key(i.uuid()), i));
        }
    }

    /**
     * Where the address strategy's addresses come from: by default every address from
     * {@code firstAddress} upwards, free for the taking; with an address pool, the pool's addresses,
     * each taken only when the host could claim it (nobody else on the LAN uses it).
     */
    interface AddressSource {
        /** Every address from {@code firstAddress} upwards; nothing to claim (loopback, or aliases the operator added). */
        AddressSource UNBOUNDED = new AddressSource() {
            @Override
            public AddressPool pool() {
                return null;
            }

            @Override
            public boolean take(String address, String vm) {
                return true;
            }

            @Override
            public void giveBack(String address) {
            }
        };

        /** The pool, or null: every address from {@code firstAddress} upwards. */
        AddressPool pool();

        /** Whether VM {@code vm} may have {@code address} now; true means the address is its. */
        boolean take(String address, String vm);

        /** A VM no longer has {@code address}. */
        void giveBack(String address);
    }

    private final Settings settings;
    private final int firstAddress;
    private final Store store;
    private final AddressSource addresses;
    /** Live endpoints by routing key (address, port or host name, as the strategy says). */
    private final Map<String, Endpoint> byKey = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> byUuid = new ConcurrentHashMap<>();
    /** Kept identities by lower-case UUID, including VMs not (yet) seen in this run: theirs stay reserved. */
    private final Map<String, Identity> saved = new ConcurrentHashMap<>();
    /**
     * The routing keys of {@link #saved} → the lower-case UUID keeping it, so that {@link #isFree} is
     * a lookup, not a scan of every identity (with 10,000 VMs the scans made the first start
     * quadratic: minutes). A key two identities share (a hand-edited file, a move onto a kept
     * address) is counted in {@link #sharedKeys}.
     */
    private final Map<String, String> savedKeys = new ConcurrentHashMap<>();
    /** Routing keys more than one kept identity has → how many more; normally empty. Guarded by this. */
    private final Map<String, Integer> sharedKeys = new HashMap<>();
    /** Unbounded addresses: every one from firstAddress below this is taken, so new VMs look from here. Guarded by this. */
    private int addressCursor;
    /** Inside {@link #sync}: changes are saved once at its end. Guarded by this. */
    private boolean deferSave;
    private boolean unsaved;

    /** An address-per-VM map kept in memory only (tests). */
    MachineEndpoints(String firstAddress) {
        this(Settings.addresses(firstAddress, 16992), new MemoryStore());
    }

    MachineEndpoints(Settings settings, Store store) {
        this(settings, store, AddressSource.UNBOUNDED);
    }

    MachineEndpoints(Settings settings, Store store, AddressSource addresses) {
        this.settings = settings;
        this.addresses = settings.strategy() == Strategy.ADDRESS ? addresses : AddressSource.UNBOUNDED;
        this.firstAddress = ipv4(settings.firstAddress());
        this.addressCursor = firstAddress;
        this.store = store;
        if (settings.strategy() == Strategy.PORT && (settings.firstPort() < 1 || settings.firstPort() > 65535)) {
            throw new IllegalArgumentException("firstPort must be 1-65535, got " + settings.firstPort());
        }
        for (Identity i : store.load().values()) {
            keep(i);
        }
    }

    Strategy strategy() {
        return settings.strategy();
    }

    static String realmFor(String uuid) {
        return "Digest:" + uuid.replace("-", "").toUpperCase(Locale.ROOT);
    }

    private static String key(String uuid) {
        return uuid.toLowerCase(Locale.ROOT);
    }

    /** Keeps VM {@code i.uuid()}'s identity (replacing the one it had), with its routing key in the index. */
    private synchronized void keep(Identity i) {
        String uuid = key(i.uuid());
        forget(uuid);
        saved.put(uuid, i);
        String k = routingKey(i.address(), i.port(), i.hostName());
        if (k != null) {
            String other = savedKeys.putIfAbsent(k, uuid);
            if (other != null && !other.equals(uuid)) {
                sharedKeys.merge(k, 1, Integer::sum);
            }
        }
    }

    /** Forgets VM {@code uuid}'s kept identity; whether there was one. */
    private synchronized boolean forget(String uuid) {
        Identity old = saved.remove(uuid);
        if (old == null) {
            return false;
        }
        String k = routingKey(old.address(), old.port(), old.hostName());
        if (k == null) {
            return true;
        }
        Integer shared = sharedKeys.get(k);
        if (shared != null) {
            // another identity keeps the same key: it must stay reserved (rare, so a scan is fine)
            sharedKeys.compute(k, (x, n) -> n == 1 ? null : n - 1);
            if (savedKeys.remove(k, uuid)) {
                saved.values().stream().filter(i -> k.equals(routingKey(i.address(), i.port(), i.hostName())))
                        .findFirst().ifPresent(i -> savedKeys.put(k, key(i.uuid())));
            }
        } else if (savedKeys.remove(k, uuid) && settings.strategy() == Strategy.ADDRESS && old.address() != null) {
            freed(old.address());
        }
        return true;
    }

    /** An address no VM keeps any more: the next new VM may take it. */
    private void freed(String address) {
        try {
            int a = ipv4(address);
            if (Integer.compareUnsigned(a, addressCursor) < 0 && Integer.compareUnsigned(a, firstAddress) >= 0) {
                addressCursor = a;
            }
        } catch (IllegalArgumentException notAnAddress) {
            // a kept identity that was never a valid address holds nothing below the cursor
        }
    }

    /** The routing key of an endpoint under the configured strategy; null when the identity has none. */
    private String routingKey(String address, int port, String hostName) {
        return switch (settings.strategy()) {
            case ADDRESS -> address;
            case PORT -> port > 0 ? String.valueOf(port) : null;
            case HOST -> hostName;
        };
    }

    private String routingKey(Endpoint e) {
        return routingKey(e.address(), e.port(), e.hostName());
    }

    /**
     * Adds endpoints for machines that have none and drops those of machines that are gone. VMs with
     * a kept identity take it first, so new VMs cannot take it from them.
     */
    synchronized void sync(List<MachineId> machines) {
        java.util.Set<String> present = new java.util.HashSet<>();
        machines.forEach(m -> present.add(m.uuid()));
        new ArrayList<>(byUuid.keySet()).stream().filter(u -> !present.contains(u)).forEach(this::remove);
        // one write of the map for the whole sync, not one per new VM (1,000 VMs at first start)
        deferSave = true;
        try {
            machines.stream().filter(m -> saved.containsKey(key(m.uuid())))
                    .sorted(Comparator.comparing(MachineId::name)).forEach(this::addOrSkip);
            machines.stream().sorted(Comparator.comparing(MachineId::name)).forEach(this::addOrSkip);
        } finally {
            deferSave = false;
        }
        if (unsaved) {
            save();
        }
    }

    /** A host that refuses an address (told in the log by the address source) leaves this VM without endpoint, not the others. */
    private void addOrSkip(MachineId m) {
        try {
            add(m.uuid(), m.name());
        } catch (IllegalStateException hostRefused) {
            // the VM has no endpoint; the address source logged why
        }
    }

    /**
     * The endpoint of a machine, created if new; a rename keeps the address, port and host name.
     * Null when an address pool has no address left for it (the VM has no endpoint).
     *
     * @throws IllegalStateException when the host refuses to take an address (the VM has no endpoint)
     */
    synchronized Endpoint add(String uuid, String name) {
        Endpoint existing = byUuid.get(uuid);
        if (existing != null) {
            if (!existing.name().equals(name)) {
                Endpoint renamed = new Endpoint(uuid, name, existing.address(), existing.port(), existing.hostName(),
                        existing.realm());
                put(renamed);
                save();
                return renamed;
            }
            return existing;
        }
        Identity kept = saved.get(key(uuid));
        String address;
        if (settings.strategy() != Strategy.ADDRESS) {
            address = kept != null && kept.address() != null ? kept.address() : settings.firstAddress();
        } else {
            address = kept != null && kept.address() != null && inPool(kept.address())
                    && isFree(kept.address(), null, null, uuid) && addresses.take(kept.address(), name)
                    ? kept.address() : nextFreeAddress(name);
            if (address == null) {
                return null;   // the pool has no address left for it: no endpoint
            }
        }
        int port = kept != null && kept.port() > 0 && isFree(null, kept.port(), null, uuid)
                ? kept.port() : settings.strategy() == Strategy.PORT ? nextFreePort() : settings.port();
        String hostName = kept != null && kept.hostName() != null && isFree(null, null, kept.hostName(), uuid)
                ? kept.hostName() : nextFreeHostName(name);
        Endpoint e = new Endpoint(uuid, name, address, port, hostName, realmFor(uuid));
        put(e);
        save();
        return e;
    }

    private void put(Endpoint e) {
        Endpoint old = byUuid.put(e.uuid(), e);
        if (old != null) {
            byKey.remove(routingKey(old), old);
        }
        byKey.put(routingKey(e), e);
        keep(new Identity(e.uuid(), e.name(), e.address(), e.port(), e.hostName()));
    }

    /**
     * Whether the part given (address, port or host name) is held by no other VM, live or kept. A
     * part that is not the routing key may be shared (every VM has the same port in the address
     * strategy), so only the routing key's part is checked.
     */
    private boolean isFree(String address, Integer port, String hostName, String uuid) {
        boolean routing = switch (settings.strategy()) {
            case ADDRESS -> address != null;
            case PORT -> port != null;
            case HOST -> hostName != null;
        };
        if (!routing) {
            return true;
        }
        String wanted = address != null ? address : port != null ? String.valueOf(port) : hostName;
        Endpoint live = byKey.get(wanted);
        if (live != null && !live.uuid().equalsIgnoreCase(uuid)) {
            return false;
        }
        String keeper = savedKeys.get(wanted);
        return keeper == null || keeper.equalsIgnoreCase(uuid) && !sharedKeys.containsKey(wanted);
    }

    /** An undefined VM gives its identity back. */
    synchronized Optional<Endpoint> remove(String uuid) {
        Endpoint e = byUuid.remove(uuid);
        if (e != null) {
            byKey.remove(routingKey(e), e);
            addresses.giveBack(e.address());
        }
        if (forget(key(uuid))) {
            save();
        }
        return Optional.ofNullable(e);
    }

    /**
     * Moves a VM's endpoint (the operator's choice), kept across restarts: to another IPv4
     * address, port or host name, whichever tells VMs apart under the strategy.
     */
    synchronized Endpoint move(String uuid, String target) {
        Endpoint e = byUuid.get(uuid);
        if (e == null) {
            throw new IllegalArgumentException("no endpoint for VM " + uuid);
        }
        Endpoint moved = switch (settings.strategy()) {
            case ADDRESS -> new Endpoint(uuid, e.name(), text(ipv4(target)), e.port(), e.hostName(), e.realm());
            case PORT -> new Endpoint(uuid, e.name(), e.address(), port(target), e.hostName(), e.realm());
            case HOST -> new Endpoint(uuid, e.name(), e.address(), e.port(), hostName(target), e.realm());
        };
        String wanted = routingKey(moved);
        Endpoint holder = byKey.get(wanted);
        if (holder != null && !holder.uuid().equals(uuid)) {
            throw new IllegalArgumentException(wanted + " is the endpoint of VM " + holder.name());
        }
        if (settings.strategy() == Strategy.ADDRESS && !moved.address().equals(e.address())) {
            if (!inPool(moved.address())) {
                throw new IllegalArgumentException(moved.address() + " is not in the address pool " + addresses.pool());
            }
            if (!addresses.take(moved.address(), e.name())) {
                throw new IllegalArgumentException(moved.address() + " is in use on the LAN or cannot be added; "
                        + "see the log");
            }
            addresses.giveBack(e.address());
        }
        put(moved);
        save();
        store.flush();   // the operator's choice is on disk when the command answers
        return moved;
    }

    private int port(String text) {
        int p;
        try {
            p = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + text);
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("a port is 1-65535, got " + p);
        }
        return p;
    }

    private static String hostName(String text) {
        String h = text.trim().toLowerCase(Locale.ROOT);
        if (!h.matches("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*")) {
            throw new IllegalArgumentException("not a host name: " + text);
        }
        return h;
    }

    private void save() {
        if (deferSave) {
            unsaved = true;
            return;
        }
        unsaved = false;
        store.save(new ArrayList<>(saved.values()));
    }

    /**
     * The VM a request is for: by the address the connection arrived at, the port (the TLS port of a
     * VM is the one after its HTTP port), or the {@code Host} header, as the strategy says.
     */
    Optional<Endpoint> route(String localAddress, int localPort, boolean secure, String hostHeader) {
        String wanted = switch (settings.strategy()) {
            case ADDRESS -> localAddress;
            case PORT -> String.valueOf(secure ? localPort - 1 : localPort);
            case HOST -> hostOf(hostHeader);
        };
        return Optional.ofNullable(wanted == null ? null : byKey.get(wanted));
    }

    /** The host part of a Host header, lower case, without port or IPv6 brackets. */
    static String hostOf(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** The endpoint of VM {@code uuid} (any case), whatever the strategy: the route of tunnelled streams. */
    Optional<Endpoint> byUuid(String uuid) {
        Endpoint e = byUuid.get(uuid);
        if (e == null) {
            e = byUuid.values().stream().filter(x -> x.uuid().equalsIgnoreCase(uuid)).findFirst().orElse(null);
        }
        return Optional.ofNullable(e);
    }

    Optional<Endpoint> byAddress(String localAddress) {
        return route(localAddress, 0, false, null);
    }

    /** How many VMs have an endpoint. */
    int count() {
        return byUuid.size();
    }

    List<Endpoint> all() {
        // each address parsed once, not in every comparison (10,000 VMs: 270,000 parses per listing)
        record Sorted(long address, Endpoint endpoint) {
        }
        return byUuid.values().stream().map(e -> new Sorted(ipv4(e.address()) & 0xFFFFFFFFL, e))
                .sorted(Comparator.comparingLong(Sorted::address).thenComparingInt(x -> x.endpoint().port())
                        .thenComparing(x -> x.endpoint().hostName()))
                .map(Sorted::endpoint).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
    }

    private boolean inPool(String address) {
        AddressPool pool = addresses.pool();
        return pool == null || pool.contains(address);
    }

    /** The first address free for VM {@code vm}: no VM holds it and, with a pool, the host could claim it; null: none left. */
    private String nextFreeAddress(String vm) {
        AddressPool pool = addresses.pool();
        if (pool != null) {
            for (String candidate : pool.addresses()) {
                if (isFree(candidate, null, null, "") && addresses.take(candidate, vm)) {
                    return candidate;
                }
            }
            return null;
        }
        for (int a = addressCursor; ; a++) {
            int last = a & 0xFF;
            if (last == 0 || last == 255) {
                continue;
            }
            String candidate = text(a);
            if (isFree(candidate, null, null, "")) {
                addressCursor = a + 1;   // the caller takes it
                return candidate;
            }
        }
    }

    private int nextFreePort() {
        for (int p = settings.firstPort(); p <= 65535; p += Math.max(1, settings.portStep())) {
            if (isFree(null, p, null, "")) {
                return p;
            }
        }
        throw new IllegalStateException("no free port from " + settings.firstPort());
    }

    /** The VM name as a DNS label (lower case, other characters as '-') plus the suffix; -2, -3… when taken. */
    private String nextFreeHostName(String vmName) {
        String label = vmName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (label.isEmpty()) {
            label = "vm";
        }
        String suffix = settings.hostSuffix() == null || settings.hostSuffix().isBlank() ? ""
                : "." + settings.hostSuffix().replaceAll("^\\.+", "").toLowerCase(Locale.ROOT);
        if (settings.strategy() != Strategy.HOST) {
            return label + suffix;
        }
        for (int n = 1; ; n++) {
            String candidate = (n == 1 ? label : label + "-" + n) + suffix;
            if (isFree(null, null, candidate, "")) {
                return candidate;
            }
        }
    }

    static int ipv4(String address) {
        try {
            byte[] b = InetAddress.getByName(address).getAddress();
            if (b.length != 4) {
                throw new IllegalArgumentException("not an IPv4 address: " + address);
            }
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + address, e);
        }
    }

    static String text(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }
}
