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
import org.vamt.markup.Markup;

/**
 * vAMT's per-machine state in the libvirt domain {@code <metadata>}: ONE element in our namespace,
 * holding one {@code ns} element per state namespace (its owner's JSON and a generation number),
 * <pre>
 * &lt;metadata&gt;
 *   &lt;vamt:state xmlns:vamt="http://schemas.vamt.org/libvirt/1"&gt;
 *     &lt;vamt:ns name="boot" generation="3"&gt;{"useSol":true,…}&lt;/vamt:ns&gt;
 *     &lt;vamt:entry key="defense.state"&gt;…&lt;/vamt:entry&gt;   (old untyped form, until migrated)
 *   &lt;/vamt:state&gt;
 * &lt;/metadata&gt;
 * </pre>
 * read and written with {@code virDomainGetMetadata}/{@code virDomainSetMetadata} (type
 * {@code VIR_DOMAIN_METADATA_ELEMENT}, key {@value #PREFIX}, uri {@value #NAMESPACE}). The persistent
 * definition is authoritative: reads use {@code AFFECT_CONFIG} (transient domains: the live one),
 * writes go to the configuration and, while the machine runs, to the live definition too.
 *
 * <p>Old {@code entry} elements (before typed state) are kept as they are until their owner
 * migrates them ({@link org.vamt.hypervisor.Hypervisor#writeState} drops them). Values are element
 * text, escaped, and must be text XML 1.0 can hold ({@code INVALID_ARGUMENT} otherwise).
 *
 * <p>Read-modify-write is not atomic in libvirt: callers serialise it per machine.
 */
final class DomainMetadata {

    static final String NAMESPACE = "http://schemas.vamt.org/libvirt/1";
    static final String PREFIX = "vamt";
    static final String ROOT = "state";
    static final String ENTRY = "entry";
    static final String KEY_ATTRIBUTE = "key";
    static final String STATE = "ns";
    static final String NAME_ATTRIBUTE = "name";
    static final String GENERATION_ATTRIBUTE = "generation";
    /** The old untyped key of the pending one-time boot device (now namespace {@value #BOOT_NAMESPACE}). */
    static final String BOOT_NEXT = "boot.next";
    /** vamt-libvirt's own namespace: the pending one-time boot device. */
    static final String BOOT_NAMESPACE = "libvirt.boot";

    /** One namespace as stored. */
    record Stored(long generation, String json) {
    }

    /** Everything in our element: old untyped entries and typed namespaces. */
    static final class Contents {
        final Map<String, String> legacy = new LinkedHashMap<>();
        final Map<String, Stored> states = new java.util.TreeMap<>();

        boolean isEmpty() {
            return legacy.isEmpty() && states.isEmpty();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Contents c && c.legacy.equals(legacy) && c.states.equals(states);
        }

        @Override
        public int hashCode() {
            return legacy.hashCode() * 31 + states.hashCode();
        }

        @Override
        public String toString() {
            return "legacy " + legacy.keySet() + ", states " + states.keySet();
        }
    }

    private static final Pattern NAMESPACE_NAME = Pattern.compile("[a-z][a-z0-9.-]{0,62}");
    /** Per namespace; libvirt's metadata must stay small enough to redefine domains quickly. */
    static final int MAX_JSON_LENGTH = 256 * 1024;

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

    static void checkNamespace(String namespace) throws HypervisorException {
        if (namespace == null || !NAMESPACE_NAME.matcher(namespace).matches()) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT,
                    "state namespace '" + namespace + "' is not [a-z][a-z0-9.-]{0,62}");
        }
    }

    static void checkJson(String namespace, String json) throws HypervisorException {
        if (json.length() > MAX_JSON_LENGTH) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "state '" + namespace + "' is " + json.length()
                    + " characters; at most " + MAX_JSON_LENGTH + " are kept with a machine");
        }
        checkValue(namespace, json);
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

    /** Our contents of the machine (persistent definition, or live for a transient one); empty when none. */
    static Contents read(Domain d) throws LibvirtException, HypervisorException {
        int flags = d.isPersistent() == 1 ? NativeVirt.AFFECT_CONFIG : NativeVirt.AFFECT_CURRENT;
        String xml;
        try {
            xml = d.getMetadata(Domain.MetadataType.ELEMENT, NAMESPACE, flags);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA) {
                return new Contents();
            }
            throw e;
        }
        return parse(xml);
    }

    /**
     * Replaces our element with {@code entries} (none: removes it), in the persistent definition and,
     * while the machine runs, the live one.
     */
    static void write(Domain d, Contents entries) throws LibvirtException {
        int flags = (d.isPersistent() == 1 ? NativeVirt.AFFECT_CONFIG : 0) | (d.isActive() == 1 ? NativeVirt.AFFECT_LIVE : 0);
        d.setMetadata(Domain.MetadataType.ELEMENT, format(entries), PREFIX, NAMESPACE, flags);
    }

    // ---------------------------------------------------------------- XML

    /**
     * The contents of our element as {@code virDomainGetMetadata} returns it (libvirt drops the
     * prefix; any namespace is accepted). Entries without a key, namespaces without a name or with
     * a bad generation are ignored; for a repeated key the last one wins.
     */
    static Contents parse(String xml) throws HypervisorException {
        Contents entries = new Contents();
        if (xml == null || xml.isBlank()) {
            return entries;
        }
        Element root = DomainXml.parse(xml, "vAMT metadata").getDocumentElement();
        collect(root, entries);
        return entries;
    }

    private static void collect(Element root, Contents entries) {
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && ENTRY.equals(localName((Element) n))) {
                Element e = (Element) n;
                String key = e.getAttribute(KEY_ATTRIBUTE);
                if (!key.isEmpty()) {
                    entries.legacy.put(key, e.getTextContent());
                }
            } else if (n instanceof Element && STATE.equals(localName((Element) n))) {
                Element e = (Element) n;
                String name = e.getAttribute(NAME_ATTRIBUTE);
                try {
                    long generation = Long.parseLong(e.getAttribute(GENERATION_ATTRIBUTE).trim());
                    if (!name.isEmpty() && generation > 0) {
                        entries.states.put(name, new Stored(generation, e.getTextContent()));
                    }
                } catch (NumberFormatException ignored) {
                    // not ours to read
                }
            }
        }
    }

    /**
     * Our element for {@code virDomainSetMetadata} (unprefixed: libvirt puts it into our namespace),
     * or null for no entries (which makes libvirt remove the element).
     */
    static String format(Contents entries) {
        if (entries.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder("<").append(ROOT).append('>');
        for (Map.Entry<String, Stored> e : entries.states.entrySet()) {
            b.append('<').append(STATE).append(' ').append(NAME_ATTRIBUTE).append("=\"");
            Markup.escape(e.getKey(), true, b);
            b.append("\" ").append(GENERATION_ATTRIBUTE).append("=\"").append(e.getValue().generation()).append("\">");
            Markup.escape(e.getValue().json(), false, b);
            b.append("</").append(STATE).append('>');
        }
        for (Map.Entry<String, String> e : entries.legacy.entrySet()) {
            b.append('<').append(ENTRY).append(' ').append(KEY_ATTRIBUTE).append("=\"");
            Markup.escape(e.getKey(), true, b);
            b.append("\">");
            Markup.escape(e.getValue(), false, b);
            b.append("</").append(ENTRY).append('>');
        }
        return b.append("</").append(ROOT).append('>').toString();
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

    /** The contents of our element in a parsed domain definition; empty when there is none. */
    static Contents entries(Element domain) {
        Contents entries = new Contents();
        Element state = element(domain);
        if (state != null) {
            collect(state, entries);
        }
        return entries;
    }

    /**
     * Removes a namespace (and the old-form entry with the same meaning, {@code legacyKey}) from our
     * element in a parsed domain definition (and the element, and an empty {@code <metadata>}, when
     * nothing is left). True when there was any.
     */
    static boolean removeState(Element domain, String namespace, String legacyKey) {
        Element state = element(domain);
        if (state == null) {
            return false;
        }
        boolean removed = false;
        for (Element e : DomainXml.children(state)) {
            if (ENTRY.equals(localName(e)) && legacyKey.equals(e.getAttribute(KEY_ATTRIBUTE))
                    || STATE.equals(localName(e)) && namespace.equals(e.getAttribute(NAME_ATTRIBUTE))) {
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
