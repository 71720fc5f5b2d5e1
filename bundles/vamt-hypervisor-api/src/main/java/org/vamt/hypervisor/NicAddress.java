package org.vamt.hypervisor;

import java.io.Serializable;
import java.util.List;

/**
 * The IPv4 settings a machine's NIC holds while it runs, as the host learns them (the DHCP lease
 * of its libvirt network, or the guest agent). Values the host does not know are null / empty.
 *
 * @param address      dotted IPv4 address
 * @param prefixLength network prefix length (0..32)
 * @param gateway      default gateway, or null when unknown
 * @param dns          DNS servers, in order of preference (possibly empty)
 */
public record NicAddress(String address, int prefixLength, String gateway, List<String> dns) implements Serializable {
    public NicAddress {
        dns = List.copyOf(dns);
    }

    /** The prefix length as a dotted subnet mask, e.g. 24 as 255.255.255.0. */
    public String subnetMask() {
        long mask = prefixLength <= 0 ? 0 : (0xFFFFFFFFL << (32 - Math.min(32, prefixLength))) & 0xFFFFFFFFL;
        return (mask >> 24) + "." + ((mask >> 16) & 0xFF) + "." + ((mask >> 8) & 0xFF) + "." + (mask & 0xFF);
    }
}
