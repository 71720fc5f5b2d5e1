package org.vamt.libvirt.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * vAMT's per-machine state in the libvirt domain {@code <metadata>}: ONE element in our namespace,
 * <pre>
 * &lt;metadata&gt;
 *   &lt;vamt:state xmlns:vamt="http://schemas.vamt.org/libvirt/1"&gt;
 *     &lt;vamt:entry key="boot.next"&gt;NETWORK&lt;/vamt:entry&gt;
 *     &lt;vamt:entry key="host.name"&gt;desk &amp;amp; chair&lt;/vamt:entry&gt;
 *   &lt;/vamt:state&gt;
 * &lt;/metadata&gt;
 * </pre>
 * read and written with {@code virDomainGetMetadata}/{@code virDomainSetMetadata} (type
 * {@code VIR_DOMAIN_METADATA_ELEMENT}, key {@value #PREFIX}, uri {@value #NAMESPACE}). The persistent
 * definition is authoritative: reads use {@code AFFECT_CONFIG} (transient domains: the live one),
 * writes go to the configuration and, while the machine runs, to the live definition too.
 *
 * <p>Keys are {@code [A-Za-z0-9_.-]+}; values are any text XML 1.0 can hold (no NUL or other C0
 * control characters except tab, CR and LF); both are checked ({@code INVALID_ARGUMENT}). Values are
 * element text, escaped; whitespace, CR and LF survive libvirt (tested with libvirt 9).
 *
 * <p>Read-modify-write is not atomic in libvirt: callers serialise it per machine.
 */
final class DomainMetadata {

    static final String NAMESPACE = "http://schemas.vamt.org/libvirt/1";
    static final String PREFIX = "vamt";
    static final String ROOT = "state";
    static final String ENTRY = "entry";
    static final String KEY_ATTRIBUTE = "key";
    /** The pending one-time boot device ({@link org.vamt.hypervisor.BootDevice} name). */
    static final String BOOT_NEXT = "boot.next";

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final int MAX_KEY_LENGTH = 256;

    private DomainMetadata() {
    }

    // ---------------------------------------------------------------- checks

    static void checkKey(String key) throws HypervisorException {
        if (key == null || key.length() > MAX_KEY_LENGTH || !KEY.matcher(key).matches()) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT,
                    "metadata key '" + key + "' is not 1.." + MAX_KEY_LENGTH + " characters of [A-Za-z0-9_.-]");
        }
    }

    /** Values must be text XML can carry. */
    static void checkValue(String key, String value) throws HypervisorException {
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            if (!xmlChar(cp)) {   // also unpaired surrogates
                throw new HypervisorException(Reason.INVALID_ARGUMENT, String.format(
                        "metadata value for '%s' contains character U+%04X at %d, which XML cannot hold", key, cp, i));
            }
            i += Character.charCount(cp);
        }
    }

    private static boolean xmlChar(int c) {
        return c == 0x9 || c == 0xA || c == 0xD || c >= 0x20 && c <= 0xD7FF || c >= 0xE000 && c <= 0xFFFD
                || c >= 0x10000 && c <= 0x10FFFF;
    }

    // ---------------------------------------------------------------- libvirt

    /** Our entries of the machine (persistent definition, or live for a transient one); empty when none. */
    static Map<String, String> read(Domain d) throws LibvirtException, HypervisorException {
        int flags = d.isPersistent() == 1 ? NativeVirt.AFFECT_CONFIG : NativeVirt.AFFECT_CURRENT;
        String xml;
        try {
            xml = d.getMetadata(Domain.MetadataType.ELEMENT, NAMESPACE, flags);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA) {
                return new LinkedHashMap<>();
            }
            throw e;
        }
        return parse(xml);
    }

    /**
     * Replaces our element with {@code entries} (none: removes it), in the persistent definition and,
     * while the machine runs, the live one.
     */
    static void write(Domain d, Map<String, String> entries) throws LibvirtException {
        int flags = (d.isPersistent() == 1 ? NativeVirt.AFFECT_CONFIG : 0) | (d.isActive() == 1 ? NativeVirt.AFFECT_LIVE : 0);
        d.setMetadata(Domain.MetadataType.ELEMENT, format(entries), PREFIX, NAMESPACE, flags);
    }

    // ---------------------------------------------------------------- XML

    /**
     * The entries of our element as {@code virDomainGetMetadata} returns it (libvirt drops the
     * prefix; any namespace is accepted). Entries without a key are ignored; for a repeated key the
     * last one wins.
     */
    static Map<String, String> parse(String xml) throws HypervisorException {
        Map<String, String> entries = new LinkedHashMap<>();
        if (xml == null || xml.isBlank()) {
            return entries;
        }
        Element root = DomainXml.parse(xml, "vAMT metadata").getDocumentElement();
        collect(root, entries);
        return entries;
    }

    private static void collect(Element root, Map<String, String> entries) {
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && ENTRY.equals(localName((Element) n))) {
                Element e = (Element) n;
                String key = e.getAttribute(KEY_ATTRIBUTE);
                if (!key.isEmpty()) {
                    entries.put(key, e.getTextContent());
                }
            }
        }
    }

    /**
     * Our element for {@code virDomainSetMetadata} (unprefixed: libvirt puts it into our namespace),
     * or null for no entries (which makes libvirt remove the element).
     */
    static String format(Map<String, String> entries) {
        if (entries.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder("<").append(ROOT).append('>');
        for (Map.Entry<String, String> e : entries.entrySet()) {
            b.append('<').append(ENTRY).append(' ').append(KEY_ATTRIBUTE).append("=\"");
            escape(e.getKey(), true, b);
            b.append("\">");
            escape(e.getValue(), false, b);
            b.append("</").append(ENTRY).append('>');
        }
        return b.append("</").append(ROOT).append('>').toString();
    }

    /** XML escaping for text or (double-quoted) attribute values; CR, and in attributes TAB and LF, as references. */
    static StringBuilder escape(String s, boolean attribute, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&': b.append("&amp;"); break;
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '"': b.append(attribute ? "&quot;" : "\""); break;
                case '\r': b.append("&#13;"); break;
                case '\n': b.append(attribute ? "&#10;" : "\n"); break;
                case '\t': b.append(attribute ? "&#9;" : "\t"); break;
                default: b.append(ch);
            }
        }
        return b;
    }

    /** Our element in a parsed domain definition ({@code <metadata><vamt:state>}), or null. */
    static Element element(Element domain) {
        for (Element metadata : DomainXml.children(domain, "metadata")) {
            for (Element e : DomainXml.children(metadata)) {
                if (NAMESPACE.equals(e.getNamespaceURI()) && ROOT.equals(localName(e))) {
                    return e;
                }
            }
        }
        return null;
    }

    /** The entries of our element in a parsed domain definition; empty when there is none. */
    static Map<String, String> entries(Element domain) {
        Map<String, String> entries = new LinkedHashMap<>();
        Element state = element(domain);
        if (state != null) {
            collect(state, entries);
        }
        return entries;
    }

    /**
     * Removes an entry from our element in a parsed domain definition (and the element, and an
     * empty {@code <metadata>}, when nothing is left). True when there was such an entry.
     */
    static boolean removeEntry(Element domain, String key) {
        Element state = element(domain);
        if (state == null) {
            return false;
        }
        boolean removed = false;
        for (Element e : DomainXml.children(state)) {
            if (ENTRY.equals(localName(e)) && key.equals(e.getAttribute(KEY_ATTRIBUTE))) {
                DomainXml.remove(e);
                removed = true;
            }
        }
        if (DomainXml.children(state).isEmpty()) {
            Element metadata = (Element) state.getParentNode();
            DomainXml.remove(state);
            if (DomainXml.children(metadata).isEmpty()) {
                DomainXml.remove(metadata);
            }
        }
        return removed;
    }

    private static String localName(Element e) {
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }
}
