package org.vamt.libvirt.internal;

import java.util.List;
import java.util.Locale;

import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.NicAddress;
import org.w3c.dom.Element;

/**
 * Reading a NIC's network from the domain definition and the gateway / DNS server a libvirt
 * network gives its guests from the network's definition. On a libvirt network the host's address
 * ({@code <ip address=…>}) is the DHCP server, the DNS server (dnsmasq, unless
 * {@code <dns enable='no'>}) and, when the network forwards (NAT, routed, open), the default gateway.
 */
final class NicAddresses {
    private NicAddresses() {
    }

    /** The libvirt network the NIC with this MAC (lower case, colons) is attached to, or null. */
    static String networkOf(String domainXml, String mac) throws HypervisorException {
        Element devices = DomainXml.child(DomainXml.parseDomain(domainXml), "devices");
        for (Element nic : DomainXml.children(devices, "interface")) {
            Element m = DomainXml.child(nic, "mac");
            if (m != null && mac.equalsIgnoreCase(m.getAttribute("address").trim())) {
                Element source = DomainXml.child(nic, "source");
                String network = source == null ? "" : source.getAttribute("network").trim();
                return "network".equals(nic.getAttribute("type")) && !network.isEmpty() ? network : null;
            }
        }
        return null;
    }

    /**
     * The NIC's settings: its address and prefix, with the gateway and DNS server of the network
     * definition (null: unknown) whose IPv4 subnet holds the address.
     */
    static NicAddress withNetwork(String address, int prefixLength, String networkXml) {
        if (networkXml != null) {
            try {
                Element network = DomainXml.parse(networkXml, "network definition").getDocumentElement();
                boolean forwards = DomainXml.child(network, "forward") != null;
                Element dns = DomainXml.child(network, "dns");
                boolean dnsServed = dns == null || !"no".equals(dns.getAttribute("enable").trim().toLowerCase(Locale.ROOT));
                for (Element ip : DomainXml.children(network, "ip")) {
                    String family = ip.getAttribute("family").trim();
                    String host = ip.getAttribute("address").trim();
                    int prefix = prefixOf(ip);
                    if ((family.isEmpty() || "ipv4".equals(family)) && prefix >= 0 && sameSubnet(host, address, prefix)) {
                        return new NicAddress(address, prefixLength, forwards ? host : null,
                                dnsServed ? List.of(host) : List.of());
                    }
                }
            } catch (HypervisorException | IllegalArgumentException e) {
                // an unreadable network definition: the address alone
            }
        }
        return new NicAddress(address, prefixLength, null, List.of());
    }

    private static int prefixOf(Element ip) {
        String prefix = ip.getAttribute("prefix").trim();
        if (!prefix.isEmpty()) {
            return Integer.parseInt(prefix);
        }
        String netmask = ip.getAttribute("netmask").trim();
        if (netmask.isEmpty()) {
            return 24;   // libvirt's default for an IPv4 network without one
        }
        return Long.bitCount(toLong(netmask));
    }

    private static boolean sameSubnet(String a, String b, int prefix) {
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return (toLong(a) & mask) == (toLong(b) & mask);
    }

    /** Dotted IPv4 to its 32-bit value; IllegalArgumentException when it is not one. */
    private static long toLong(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        long v = 0;
        for (String p : parts) {
            int octet = Integer.parseInt(p);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            v = (v << 8) | octet;
        }
        return v;
    }
}
