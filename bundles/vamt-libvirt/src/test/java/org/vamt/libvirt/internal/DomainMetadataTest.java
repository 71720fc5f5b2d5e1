package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.w3c.dom.Element;

/** {@link DomainMetadata}'s XML side and checks (the libvirt side is in AmtOperationsTest). */
class DomainMetadataTest {

    @Test
    void formatEscapesAndParseRoundTrips() throws Exception {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("a", "x<y>&z\"'");
        in.put("b.c", "line\r\nnext\ttab");
        in.put("empty", "");
        in.put("blank", "  ");
        in.put("uni", "ü€😀");
        in.put("tricky", "</entry><entry key=\"evil\">x</entry>]]>");
        DomainMetadata.Contents contents = new DomainMetadata.Contents();
        contents.legacy.putAll(in);
        String xml = DomainMetadata.format(contents);
        assertTrue(xml.startsWith("<state><entry key=\"a\">x&lt;y&gt;&amp;z\"'</entry>"), xml);
        assertTrue(xml.contains("line&#13;\nnext\ttab"), xml);
        assertEquals(in, DomainMetadata.parse(xml).legacy);
        assertEquals(in, DomainMetadata.parse(xml.replace("<state>", "<vamt:state xmlns:vamt=\"" + DomainMetadata.NAMESPACE
                + "\">").replace("</state>", "</vamt:state>").replace("<entry", "<vamt:entry").replace("</entry>", "</vamt:entry>")).legacy);
        assertNull(DomainMetadata.format(new DomainMetadata.Contents()));
        assertTrue(DomainMetadata.parse(null).isEmpty());
    }

    @Test
    void parseIgnoresForeignContent() throws Exception {
        Map<String, String> m = DomainMetadata.parse("<state><entry>nokey</entry><other key='x'>1</other>"
                + "<ns generation='1'>no name</ns><ns name='bad' generation='x'>1</ns><ns name='zero' generation='0'>1</ns>"
                + "<entry key='k'>1</entry><entry key='k'>2</entry></state>").legacy;
        assertEquals(Map.of("k", "2"), m);
        assertTrue(DomainMetadata.parse("<state><ns generation='1'>no name</ns><ns name='bad' generation='x'>1</ns>"
                + "<ns name='zero' generation='0'>1</ns></state>").states.isEmpty());
    }

    @Test
    void typedStatesSitBesideOldEntriesAndRoundTrip() throws Exception {
        DomainMetadata.Contents c = new DomainMetadata.Contents();
        c.states.put("boot", new DomainMetadata.Stored(3, "{\"useSol\":true,\"note\":\"a<b & \\\"c\\\"\"}"));
        c.states.put("defense", new DomainMetadata.Stored(1, "{}"));
        c.legacy.put("time.offsetSeconds", "42");
        String xml = DomainMetadata.format(c);
        assertTrue(xml.contains("<ns name=\"boot\" generation=\"3\">{\"useSol\":true,\"note\":\"a&lt;b &amp; "), xml);
        assertEquals(c, DomainMetadata.parse(xml));
        assertEquals(c, DomainMetadata.parse(xml.replace("<state>", "<vamt:state xmlns:vamt=\"" + DomainMetadata.NAMESPACE
                + "\">").replace("</state>", "</vamt:state>").replace("<ns ", "<vamt:ns ").replace("</ns>", "</vamt:ns>")
                .replace("<entry", "<vamt:entry").replace("</entry>", "</vamt:entry>")));
    }

    @Test
    void keysAndValuesAreChecked() throws Exception {
        DomainMetadata.checkKey("boot.next");
        DomainMetadata.checkKey("A_b-9.z");
        for (String bad : new String[] {null, "", " ", "a b", "a:b", "ä", "k\n", "x".repeat(257)}) {
            assertEquals(Reason.INVALID_ARGUMENT,
                    assertThrows(HypervisorException.class, () -> DomainMetadata.checkKey(bad)).reason(), bad);
        }
        DomainMetadata.checkValue("k", "tab\tcr\rlf\n ü 😀 \ufffd");
        for (String bad : new String[] {"\u0000", "\u0001", "\u001f", "\ufffe", "\ud800", "x\udc00"}) {
            assertEquals(Reason.INVALID_ARGUMENT,
                    assertThrows(HypervisorException.class, () -> DomainMetadata.checkValue("k", bad)).reason());
        }
    }

    @Test
    void entriesAndRemovalInADomainDefinition() throws Exception {
        String xml = "<domain><name>x</name><metadata>"
                + "<vamt:state xmlns:vamt='" + DomainMetadata.NAMESPACE + "'>"
                + "<vamt:entry key='boot.next'>CDROM</vamt:entry><vamt:entry key='h'>v</vamt:entry></vamt:state>"
                + "</metadata></domain>";
        Element domain = DomainXml.parseDomain(xml);
        assertEquals(Map.of("boot.next", "CDROM", "h", "v"), DomainMetadata.entries(domain).legacy);
        assertTrue(DomainMetadata.removeState(domain, DomainMetadata.BOOT_NAMESPACE, "boot.next"));
        assertFalse(DomainMetadata.removeState(domain, DomainMetadata.BOOT_NAMESPACE, "boot.next"));
        assertEquals(Map.of("h", "v"), DomainMetadata.entries(domain).legacy);
        assertTrue(DomainMetadata.removeState(domain, "h", "h"));
        String after = DomainXml.write(domain);
        assertFalse(after.contains("metadata"), after);   // nothing left: element and <metadata> gone

        // foreign metadata stays
        Element other = DomainXml.parseDomain("<domain><metadata><o:x xmlns:o='urn:o'/>"
                + "<vamt:state xmlns:vamt='" + DomainMetadata.NAMESPACE + "'><vamt:entry key='k'>v</vamt:entry>"
                + "</vamt:state></metadata></domain>");
        DomainMetadata.removeState(other, "k", "k");
        assertEquals("<domain><metadata><o:x xmlns:o=\"urn:o\"/></metadata></domain>", DomainXml.write(other));
        // another namespace's "state" is not ours
        assertTrue(DomainMetadata.entries(DomainXml.parseDomain(
                "<domain><metadata><s:state xmlns:s='urn:s'><s:entry key='k'>v</s:entry></s:state></metadata></domain>"))
                .isEmpty());
        // a typed namespace is removed with its old-form key
        Element both = DomainXml.parseDomain("<domain><metadata><vamt:state xmlns:vamt='" + DomainMetadata.NAMESPACE
                + "'><vamt:ns name='libvirt.boot' generation='2'>{}</vamt:ns><vamt:entry key='boot.next'>CDROM</vamt:entry>"
                + "<vamt:ns name='boot' generation='1'>{}</vamt:ns></vamt:state></metadata></domain>");
        assertTrue(DomainMetadata.removeState(both, DomainMetadata.BOOT_NAMESPACE, DomainMetadata.BOOT_NEXT));
        assertEquals(java.util.Set.of("boot"), DomainMetadata.entries(both).states.keySet());
        assertTrue(DomainMetadata.entries(both).legacy.isEmpty());
    }
}
