package org.vamt.libvirt.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Starting a machine once from a {@link BootDevice}, without changing its normal boot order.
 *
 * <p>{@link #start}: read the persistent definition ({@code VIR_DOMAIN_XML_INACTIVE|VIR_DOMAIN_XML_SECURE},
 * so secrets such as VNC passwords are kept), define it with the device first ({@link #plan}), start
 * the machine, at once define the original back (the next normal start uses the normal order) and
 * clear the pending device. When the start fails, the original definition is restored and the device
 * stays pending. Every step is logged with the machine's name; the XML never is.
 *
 * <p>Two styles of boot order are supported (libvirt forbids mixing them):
 * <ul>
 * <li><b>{@code <os><boot dev='…'/>}</b> (or no boot element at all, which means {@code hd}): the
 *     {@code <boot>} entries are replaced by the wanted device ({@code network}, {@code hd},
 *     {@code cdrom}) followed by the previous ones without it, at the place of the first old one.</li>
 * <li><b>per-device {@code <boot order='n'/>}</b> on disks, interfaces, host devices…: the wanted
 *     device gets order 1 and every other device with an order keeps its place behind it (orders
 *     2, 3, … in their previous sequence). The wanted device is, for NETWORK an {@code <interface>},
 *     for HARD_DISK a {@code <disk device='disk'|'lun'>}, for CDROM a {@code <disk device='cdrom'>}:
 *     the one of that kind with the lowest boot order, else the first of that kind, which then gets a
 *     {@code <boot order='1'/>}. When there is no device of that kind, there is no plan
 *     ({@link Plan#xml()} null) and the machine starts with its normal order.</li>
 * </ul>
 * Other {@code <os>} content (firmware, loader, {@code <bootmenu>}, {@code <smbios>}) is kept. The
 * pending device (namespace {@value DomainMetadata#BOOT_NAMESPACE}) is removed from our metadata in the new
 * definition, so the running machine does not show it.
 */
final class OneTimeBoot {

    /**
     * @param xml         the definition to start with, or null when the device cannot be put first
     * @param description what was changed (or why nothing could be), for logs; never contains secrets
     */
    record Plan(String xml, String description) {
    }

    /** What {@link #start} needs of a machine: libvirt in production, a fake in tests. */
    interface Machine {
        /** The persistent definition with secrets ({@code VIR_DOMAIN_XML_INACTIVE|VIR_DOMAIN_XML_SECURE}). */
        String persistentDefinition() throws LibvirtException, HypervisorException;

        /** {@code virDomainDefineXML}. */
        void define(String xml) throws LibvirtException, HypervisorException;

        /** {@code virDomainCreate}. */
        void create() throws LibvirtException, HypervisorException;

        /** Removes the pending device from the machine's metadata. */
        void clearPending() throws LibvirtException, HypervisorException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(OneTimeBoot.class);
    private static final Set<String> BEFORE_BOOT_IN_OS = Set.of("bootmenu", "smbios", "bios");

    private OneTimeBoot() {
    }

    /** libvirt's {@code <boot dev>} value for a device. */
    static String dev(BootDevice device) {
        switch (device) {
            case NETWORK: return "network";
            case HARD_DISK: return "hd";
            case CDROM, IDER_CDROM: return "cdrom";
            default: throw new IllegalArgumentException(String.valueOf(device));
        }
    }

    /**
     * Starts the (inactive, persistent) machine once from {@code next}; {@code who} names it in logs
     * and messages. Failures of libvirt calls are thrown as they are, so the caller maps them; when
     * the machine was started but cleaning up failed, FAILED says so.
     */
    static void start(Machine m, BootDevice next, String who) throws LibvirtException, HypervisorException {
        LOG.info("powerOn {}: one-time boot from {} pending", who, next);
        String original = m.persistentDefinition();
        Plan plan = plan(original, next);
        if (plan.xml() == null) {
            LOG.warn("powerOn {}: cannot boot from {} once: {}; starting with the normal boot order", who, next,
                    plan.description());
            m.create();
            LOG.info("powerOn {}: started", who);
            clearPending(m, who, next);
            return;
        }
        try {
            m.define(plan.xml());
        } catch (LibvirtException | HypervisorException e) {
            LOG.warn("powerOn {}: cannot define the one-time boot order ({}): {}; not started, {} stays pending",
                    who, plan.description(), message(e), next);
            restore(m, original, who, next, e);   // defining is all or nothing, but be sure
            throw e;
        }
        LOG.info("powerOn {}: defined the one-time boot order ({})", who, plan.description());
        try {
            m.create();
        } catch (LibvirtException | HypervisorException e) {
            LOG.warn("powerOn {}: start failed: {}; restoring the original definition", who, message(e));
            restore(m, original, who, next, e);
            throw e;
        }
        LOG.info("powerOn {}: started, booting from {} once", who, next);
        try {
            m.define(original);
        } catch (LibvirtException | HypervisorException e) {
            LOG.error("powerOn {}: started from {}, but cannot restore the original definition ({}): it keeps the"
                    + " one-time boot order ({}) until it is fixed", who, next, message(e), plan.description());
            throw new HypervisorException(Reason.FAILED, "powerOn " + who + ": started (booting from " + next
                    + " once), but restoring the normal boot order in the definition failed: " + message(e), e);
        }
        LOG.info("powerOn {}: original definition (normal boot order) restored", who);
        clearPending(m, who, next);
    }

    /** After a failure before the machine runs: the original definition back, the device still pending. */
    private static void restore(Machine m, String original, String who, BootDevice next, Exception failure) {
        try {
            m.define(original);
            LOG.info("powerOn {}: original definition restored; {} stays pending", who, next);
        } catch (LibvirtException | HypervisorException | RuntimeException r) {
            LOG.error("powerOn {}: cannot restore the original definition: {}", who, message(r));
            failure.addSuppressed(r);
        }
    }

    /** After a start that used (or could not use) the pending device; the machine runs. */
    private static void clearPending(Machine m, String who, BootDevice next) throws HypervisorException {
        try {
            m.clearPending();
            LOG.info("powerOn {}: one-time boot device {} cleared", who, next);
        } catch (LibvirtException | HypervisorException e) {
            LOG.error("powerOn {}: started, but cannot clear the one-time boot device {}: {}", who, next, message(e));
            throw new HypervisorException(Reason.FAILED, "powerOn " + who + ": started, but clearing the one-time boot"
                    + " device " + next + " failed: " + message(e), e);
        }
    }

    private static String message(Exception e) {
        if (e instanceof LibvirtException && ((LibvirtException) e).getError() != null
                && ((LibvirtException) e).getError().getMessage() != null) {
            return ((LibvirtException) e).getError().getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    static Plan plan(String definition, BootDevice device) throws HypervisorException {
        Element domain = DomainXml.parseDomain(definition);
        Element devices = DomainXml.child(domain, "devices");
        Map<Element, Integer> ordered = perDeviceOrders(devices);
        String description;
        if (ordered.isEmpty()) {
            description = osBootOrder(domain, device);
            if (description == null) {
                return new Plan(null, "the definition has no <os> element");
            }
        } else {
            description = perDeviceOrder(devices, ordered, device);
            if (description == null) {
                return new Plan(null, "the definition uses per-device boot order and has no "
                        + kind(device) + " to put first");
            }
        }
        DomainMetadata.removeState(domain, DomainMetadata.BOOT_NAMESPACE, DomainMetadata.BOOT_NEXT);
        return new Plan(DomainXml.write(domain), description);
    }

    // ---------------------------------------------------------------- <os><boot dev>

    /** Rewrites {@code <os><boot dev>}; the new order as text, or null without {@code <os>}. */
    private static String osBootOrder(Element domain, BootDevice device) {
        Element os = DomainXml.child(domain, "os");
        if (os == null) {
            return null;
        }
        List<Element> old = DomainXml.children(os, "boot");
        List<String> order = new ArrayList<>();
        order.add(dev(device));
        if (old.isEmpty() && !order.contains("hd")) {
            order.add("hd");   // libvirt's default without any boot element
        }
        for (Element b : old) {
            String d = b.getAttribute("dev").trim().toLowerCase(Locale.ROOT);
            if (!d.isEmpty() && !order.contains(d)) {
                order.add(d);
            }
        }
        Node anchor = old.isEmpty() ? anchorForNewBoot(os) : old.get(0);
        Node indentation = indentationBefore(anchor);
        for (String d : order) {
            Element boot = os.getOwnerDocument().createElementNS(null, "boot");
            boot.setAttribute("dev", d);
            os.insertBefore(boot, anchor);
            if (indentation != null) {
                os.insertBefore(indentation.cloneNode(false), anchor);
            }
        }
        for (Element b : old) {
            DomainXml.remove(b);
        }
        return "<os> boot order " + String.join(", ", order);
    }

    /** Where new boot elements go when there are none: before bootmenu/smbios/bios, else at the end. */
    private static Node anchorForNewBoot(Element os) {
        for (Element e : DomainXml.children(os)) {
            if (BEFORE_BOOT_IN_OS.contains(DomainXml.name(e))) {
                return e;
            }
        }
        return null;
    }

    private static Node indentationBefore(Node anchor) {
        Node before = anchor == null ? null : anchor.getPreviousSibling();
        return before != null && before.getNodeType() == Node.TEXT_NODE && before.getNodeValue().isBlank()
                ? before : null;
    }

    // ---------------------------------------------------------------- per-device <boot order>

    /** Devices with {@code <boot order='n'/>}, in document order. */
    private static Map<Element, Integer> perDeviceOrders(Element devices) {
        Map<Element, Integer> orders = new LinkedHashMap<>();
        for (Element dev : DomainXml.children(devices)) {
            Element boot = DomainXml.child(dev, "boot");
            if (boot != null && !boot.getAttribute("order").isBlank()) {
                orders.put(dev, order(boot));
            }
        }
        return orders;
    }

    private static int order(Element boot) {
        try {
            return Integer.parseInt(boot.getAttribute("order").trim());
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** Gives the wanted device order 1 and shifts the others; the change as text, or null without such a device. */
    private static String perDeviceOrder(Element devices, Map<Element, Integer> ordered, BootDevice device) {
        Element wanted = null;
        Element firstOfKind = null;
        for (Element dev : DomainXml.children(devices)) {
            if (!isKind(dev, device)) {
                continue;
            }
            if (firstOfKind == null) {
                firstOfKind = dev;
            }
            Integer o = ordered.get(dev);
            if (o != null && (wanted == null || o < ordered.get(wanted))) {
                wanted = dev;
            }
        }
        if (wanted == null) {
            wanted = firstOfKind;
        }
        if (wanted == null) {
            return null;
        }
        List<Element> others = new ArrayList<>(ordered.keySet());
        others.remove(wanted);
        others.sort(Comparator.comparingInt(ordered::get));   // stable: document order for equal orders
        Element boot = DomainXml.child(wanted, "boot");
        if (boot == null) {
            boot = wanted.getOwnerDocument().createElementNS(null, "boot");
            wanted.appendChild(boot);
        }
        boot.setAttribute("order", "1");
        int n = 2;
        for (Element e : others) {
            DomainXml.child(e, "boot").setAttribute("order", Integer.toString(n++));
        }
        return "per-device boot order: " + label(wanted) + " first"
                + (others.isEmpty() ? "" : ", then " + others.size() + " other device(s) shifted");
    }

    private static boolean isKind(Element dev, BootDevice device) {
        String name = DomainXml.name(dev);
        switch (device) {
            case NETWORK:
                return "interface".equals(name);
            case HARD_DISK: {
                String d = dev.getAttribute("device");
                return "disk".equals(name) && (d.isEmpty() || d.equals("disk") || d.equals("lun"));
            }
            case CDROM:
            case IDER_CDROM:
                return "disk".equals(name) && "cdrom".equals(dev.getAttribute("device"));
            default:
                return false;
        }
    }

    private static String kind(BootDevice device) {
        switch (device) {
            case NETWORK: return "<interface>";
            case HARD_DISK: return "<disk device='disk'>";
            default: return "<disk device='cdrom'>";
        }
    }

    /** "interface 52:54:00:…" or "disk vda": identifies a device without secrets. */
    private static String label(Element dev) {
        String name = DomainXml.name(dev);
        if ("interface".equals(name)) {
            Element mac = DomainXml.child(dev, "mac");
            return "interface " + (mac == null ? "?" : mac.getAttribute("address"));
        }
        Element target = DomainXml.child(dev, "target");
        return name + " " + (target == null ? "?" : target.getAttribute("dev"));
    }
}
