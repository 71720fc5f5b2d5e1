package org.vamt.libvirt.internal;

import java.util.Locale;
import java.util.regex.Pattern;

import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.w3c.dom.Element;

/**
 * A NIC's {@code <link state='up|down'/>} in libvirt domain XML: pure functions, no libvirt involved.
 * NICs are matched by MAC address, case-insensitively.
 */
final class NicLink {

    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\\1[0-9a-f]{2}){4}");

    private NicLink() {
    }

    /** {@code aa:bb:cc:dd:ee:ff} from any case, with colons, dashes or no separators; INVALID_ARGUMENT otherwise. */
    static String normalizeMac(String mac) throws HypervisorException {
        String s = mac == null ? "" : mac.trim().toLowerCase(Locale.ROOT);
        if (!MAC.matcher(s).matches()) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "not a MAC address: '" + mac + "'");
        }
        String hex = s.replace(":", "").replace("-", "");
        StringBuilder b = new StringBuilder(17);
        for (int i = 0; i < 12; i += 2) {
            if (i > 0) {
                b.append(':');
            }
            b.append(hex, i, i + 2);
        }
        return b.toString();
    }

    /**
     * The {@code <interface>} element with this MAC from a domain definition, with its link set, as
     * text for {@code virDomainUpdateDeviceFlags}; null when there is no such NIC.
     */
    static String interfaceXml(String domainXml, String mac, boolean up) throws HypervisorException {
        Element nic = find(DomainXml.parseDomain(domainXml), mac);
        if (nic == null) {
            return null;
        }
        setLink(nic, up);
        return DomainXml.write(nic);
    }

    /** The whole definition with the link of that NIC set; null when there is no such NIC. */
    static String definitionWith(String domainXml, String mac, boolean up) throws HypervisorException {
        Element domain = DomainXml.parseDomain(domainXml);
        Element nic = find(domain, mac);
        if (nic == null) {
            return null;
        }
        setLink(nic, up);
        return DomainXml.write(domain);
    }

    /** The {@code <interface>} with that (normalised) MAC, or null. */
    static Element find(Element domain, String mac) {
        for (Element nic : DomainXml.children(DomainXml.child(domain, "devices"), "interface")) {
            Element m = DomainXml.child(nic, "mac");
            if (m != null && mac.equalsIgnoreCase(m.getAttribute("address").trim())) {
                return nic;
            }
        }
        return null;
    }

    private static void setLink(Element nic, boolean up) {
        Element link = DomainXml.child(nic, "link");
        if (link == null) {
            link = nic.getOwnerDocument().createElementNS(null, "link");
            nic.appendChild(link);
        }
        link.setAttribute("state", up ? "up" : "down");
    }
}
