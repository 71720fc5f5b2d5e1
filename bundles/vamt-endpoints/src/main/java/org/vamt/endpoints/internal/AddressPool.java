package org.vamt.endpoints.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The addresses an operator gives the endpoint manager to hand out (configuration
 * {@code addressPool}): ranges {@code 192.0.2.50-192.0.2.99} and CIDR blocks {@code 192.0.2.64/26}
 * (without their network and broadcast addresses), comma separated, in the order given. A pool is
 * at most 65,536 addresses.
 */
final class AddressPool {
    static final int MAX = 65_536;

    private final String text;
    private final List<int[]> ranges = new ArrayList<>();
    private final int size;

    private AddressPool(String text) {
        this.text = text;
        long n = 0;
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int[] r = range(p);
            ranges.add(r);
            n += (r[1] & 0xFFFFFFFFL) - (r[0] & 0xFFFFFFFFL) + 1;
            if (n > MAX) {
                throw new IllegalArgumentException("addressPool holds more than " + MAX + " addresses: " + text);
            }
        }
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("addressPool names no address: '" + text + "'");
        }
        size = (int) n;
    }

    /** The pool, or null when {@code text} is blank (no pool: addresses from {@code firstAddress} on). */
    static AddressPool parse(String text) {
        return text == null || text.isBlank() ? null : new AddressPool(text.trim());
    }

    private static int[] range(String p) {
        int dash = p.indexOf('-');
        int slash = p.indexOf('/');
        if (dash > 0) {
            int first = MachineEndpoints.ipv4(p.substring(0, dash).trim());
            int last = MachineEndpoints.ipv4(p.substring(dash + 1).trim());
            if (Integer.compareUnsigned(first, last) > 0) {
                throw new IllegalArgumentException("addressPool range ends before it starts: " + p);
            }
            return new int[] {first, last};
        }
        if (slash > 0) {
            int base = MachineEndpoints.ipv4(p.substring(0, slash).trim());
            int prefix;
            try {
                prefix = Integer.parseInt(p.substring(slash + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("addressPool: not a prefix length in " + p);
            }
            if (prefix < 8 || prefix > 32) {
                throw new IllegalArgumentException("addressPool: prefix must be 8-32 in " + p);
            }
            int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
            int network = base & mask;
            int broadcast = network | ~mask;
            // a /31 or /32 has no network and broadcast address to leave out (RFC 3021)
            return prefix >= 31 ? new int[] {network, broadcast} : new int[] {network + 1, broadcast - 1};
        }
        int single = MachineEndpoints.ipv4(p);
        return new int[] {single, single};
    }

    /** The addresses in order. */
    List<String> addresses() {
        List<String> all = new ArrayList<>(size);
        for (int[] r : ranges) {
            for (long a = r[0] & 0xFFFFFFFFL; a <= (r[1] & 0xFFFFFFFFL); a++) {
                all.add(MachineEndpoints.text((int) a));
            }
        }
        return all;
    }

    boolean contains(String address) {
        long a = MachineEndpoints.ipv4(address) & 0xFFFFFFFFL;
        return ranges.stream().anyMatch(r -> a >= (r[0] & 0xFFFFFFFFL) && a <= (r[1] & 0xFFFFFFFFL));
    }

    int size() {
        return size;
    }

    @Override
    public String toString() {
        return text;
    }
}
