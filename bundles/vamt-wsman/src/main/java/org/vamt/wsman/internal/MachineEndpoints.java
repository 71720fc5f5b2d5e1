package org.vamt.wsman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.hypervisor.MachineInfo;

/**
 * Which VM answers at which address. As a real AMT belongs to one PC, each VM gets its own IP
 * address on the standard ports; the listener dispatches on the address a connection arrived at.
 * Addresses are handed out from {@code firstAddress} upwards (VMs sorted by name on the very first
 * start, later VMs taking the next free address) and then kept: the map is saved to a file, so a
 * VM keeps its address, and a console its device, across restarts and when other VMs come and go.
 */
final class MachineEndpoints {

    /** One VM's endpoint identity. The realm is derived from the UUID so it never changes. */
    record Endpoint(String uuid, String name, String address, String realm) {
    }

    private final int firstAddress;
    private final Map<String, Endpoint> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> byUuid = new ConcurrentHashMap<>();
    /** uuid → address as saved; includes VMs not (yet) seen in this run, whose addresses stay reserved. */
    private final Map<String, String> saved = new ConcurrentHashMap<>();
    private final Path file;
    /** Inside {@link #sync}: changes are saved once at its end. Guarded by this. */
    private boolean deferSave;
    private boolean unsaved;

    /** A map kept in memory only (tests). */
    MachineEndpoints(String firstAddress) {
        this(firstAddress, null);
    }

    /** A map saved in {@code file} (read now if it exists, rewritten on every change). */
    MachineEndpoints(String firstAddress, Path file) {
        this.firstAddress = ipv4(firstAddress);
        this.file = file;
        if (file != null && Files.exists(file)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the endpoint map " + file, e);
            }
            for (String uuid : p.stringPropertyNames()) {
                String address = p.getProperty(uuid).trim();
                ipv4(address);
                saved.put(uuid.toLowerCase(Locale.ROOT), address);
            }
        }
    }

    static String realmFor(String uuid) {
        return "Digest:" + uuid.replace("-", "").toUpperCase(Locale.ROOT);
    }

    /**
     * Adds endpoints for machines that have none and drops those of machines that are gone. VMs with
     * a saved address take it first, so new VMs cannot take it from them.
     */
    synchronized void sync(List<MachineInfo> machines) {
        List<String> present = machines.stream().map(MachineInfo::uuid).toList();
        new ArrayList<>(byUuid.keySet()).stream().filter(u -> !present.contains(u)).forEach(this::remove);
        // one write of the map for the whole sync, not one per new VM (1,000 VMs at first start)
        deferSave = true;
        try {
            machines.stream().filter(m -> saved.containsKey(key(m.uuid())))
                    .sorted(Comparator.comparing(MachineInfo::name)).forEach(m -> add(m.uuid(), m.name()));
            machines.stream().sorted(Comparator.comparing(MachineInfo::name)).forEach(m -> add(m.uuid(), m.name()));
        } finally {
            deferSave = false;
        }
        if (unsaved) {
            save();
        }
    }

    private static String key(String uuid) {
        return uuid.toLowerCase(Locale.ROOT);
    }

    /** The endpoint of a machine, created if new; a rename keeps the address. */
    synchronized Endpoint add(String uuid, String name) {
        Endpoint existing = byUuid.get(uuid);
        if (existing != null) {
            if (!existing.name().equals(name)) {
                Endpoint renamed = new Endpoint(uuid, name, existing.address(), existing.realm());
                byUuid.put(uuid, renamed);
                byAddress.put(renamed.address(), renamed);
                return renamed;
            }
            return existing;
        }
        String previous = saved.get(key(uuid));
        String address = previous != null && !byAddress.containsKey(previous) ? previous : nextFreeAddress();
        Endpoint e = new Endpoint(uuid, name, address, realmFor(uuid));
        byUuid.put(uuid, e);
        byAddress.put(e.address(), e);
        if (!address.equals(previous)) {
            saved.put(key(uuid), address);
            save();
        }
        return e;
    }

    /** An undefined VM gives its address back. */
    synchronized Optional<Endpoint> remove(String uuid) {
        Endpoint e = byUuid.remove(uuid);
        if (e != null) {
            byAddress.remove(e.address());
        }
        if (saved.remove(key(uuid)) != null) {
            save();
        }
        return Optional.ofNullable(e);
    }

    /** Moves a VM's endpoint to another address (the operator's choice); kept across restarts. */
    synchronized Endpoint move(String uuid, String address) {
        Endpoint e = byUuid.get(uuid);
        if (e == null) {
            throw new IllegalArgumentException("no endpoint for VM " + uuid);
        }
        String normalized = text(ipv4(address));
        Endpoint holder = byAddress.get(normalized);
        if (holder != null && !holder.uuid().equals(uuid)) {
            throw new IllegalArgumentException(normalized + " is the endpoint of VM " + holder.name());
        }
        byAddress.remove(e.address());
        Endpoint moved = new Endpoint(uuid, e.name(), normalized, e.realm());
        byUuid.put(uuid, moved);
        byAddress.put(normalized, moved);
        saved.put(key(uuid), normalized);
        save();
        return moved;
    }

    private void save() {
        if (file == null) {
            return;
        }
        if (deferSave) {
            unsaved = true;
            return;
        }
        unsaved = false;
        Properties p = new Properties();
        p.putAll(saved);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "vAMT endpoint addresses: VM UUID = IPv4 address (vamt:endpoint-set changes them)");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the endpoint map " + file, e);
        }
    }

    Optional<Endpoint> byAddress(String localAddress) {
        return Optional.ofNullable(localAddress == null ? null : byAddress.get(localAddress));
    }

    List<Endpoint> all() {
        List<Endpoint> list = new ArrayList<>(byUuid.values());
        list.sort(Comparator.comparing(e -> ipv4(e.address())));
        return list;
    }

    private String nextFreeAddress() {
        for (int a = firstAddress; ; a++) {
            int last = a & 0xFF;
            if (last == 0 || last == 255) {
                continue;
            }
            String candidate = text(a);
            if (!byAddress.containsKey(candidate) && !saved.containsValue(candidate)) {
                return candidate;
            }
        }
    }

    private static int ipv4(String address) {
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

    private static String text(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }
}
