package org.vamt.libvirt.internal;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.vamt.hypervisor.HypervisorException;
import org.w3c.dom.Element;

/** The VNC display address in a live domain definition. */
final class VncDisplay {

    private VncDisplay() {
    }

    /** Empty when there is no VNC display or it has no port yet (autoport before start). */
    static Optional<InetSocketAddress> of(String liveXml) throws HypervisorException {
        Element domain = DomainXml.parseDomain(liveXml);
        Element devices = DomainXml.child(domain, "devices");
        if (devices == null) {
            return Optional.empty();
        }
        for (Element graphics : DomainXml.children(devices, "graphics")) {
            if (!"vnc".equals(graphics.getAttribute("type"))) {
                continue;
            }
            int port;
            try {
                port = Integer.parseInt(graphics.getAttribute("port").trim());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (port <= 0 || port > 65535) {
                return Optional.empty();
            }
            String listen = graphics.getAttribute("listen");
            for (Element l : DomainXml.children(graphics, "listen")) {
                if (!l.getAttribute("address").isBlank()) {
                    listen = l.getAttribute("address");
                    break;
                }
            }
            return Optional.of(new InetSocketAddress(connectable(listen), port));
        }
        return Optional.empty();
    }

    private static String connectable(String listen) {
        String a = listen == null ? "" : listen.trim();
        return a.isEmpty() || a.equals("0.0.0.0") || a.equals("::") ? "127.0.0.1" : a;
    }
}
