package org.vamt.wsman.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.hypervisor.MachineInfo;

/**
 * Which VM answers at which address. As a real AMT belongs to one PC, each VM gets its own IP
 * address on the standard ports; the listener dispatches on the address a connection arrived at.
 * Addresses are handed out from {@code firstAddress} upwards, VMs sorted by name at start, later
 * VMs taking the next free address.
 */
final class MachineEndpoints {

    /** One VM's endpoint identity. The realm is derived from the UUID so it never changes. */
    record Endpoint(String uuid, String name, String address, String realm) {
    }

    private final int firstAddress;
    private final Map<String, Endpoint> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Endpoint> byUuid = new ConcurrentHashMap<>();

    MachineEndpoints(String firstAddress) {
        this.firstAddress = ipv4(firstAddress);
    }

    static String realmFor(String uuid) {
        return "Digest:" + uuid.replace("-", "").toUpperCase(Locale.ROOT);
    }

    /** Adds endpoints for machines that have none and drops those of machines that are gone. */
    synchronized void sync(List<MachineInfo> machines) {
        List<String> present = machines.stream().map(MachineInfo::uuid).toList();
        new ArrayList<>(byUuid.keySet()).stream().filter(u -> !present.contains(u)).forEach(this::remove);
        machines.stream().sorted(Comparator.comparing(MachineInfo::name)).forEach(m -> add(m.uuid(), m.name()));
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
        Endpoint e = new Endpoint(uuid, name, nextFreeAddress(), realmFor(uuid));
        byUuid.put(uuid, e);
        byAddress.put(e.address(), e);
        return e;
    }

    synchronized Optional<Endpoint> remove(String uuid) {
        Endpoint e = byUuid.remove(uuid);
        if (e != null) {
            byAddress.remove(e.address());
        }
        return Optional.ofNullable(e);
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
            if (!byAddress.containsKey(candidate)) {
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
