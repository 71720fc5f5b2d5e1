package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;

/** {@link NicLink}: MAC matching and the {@code <link state>} rewrite. */
class NicLinkTest {

    static final String XML = "<domain><name>x</name><devices>"
            + "<interface type='network'><mac address='52:54:00:AA:00:01'/><source network='default'/>"
            + "<target dev='vnet3'/><alias name='net0'/></interface>"
            + "<interface type='bridge'><mac address='52:54:00:aa:00:02'/><source bridge='br0'/>"
            + "<link state='down'/></interface>"
            + "<graphics type='vnc' passwd='s3cret'/>"
            + "</devices></domain>";

    @Test
    void macsAreNormalised() throws Exception {
        assertEquals("52:54:00:aa:00:01", NicLink.normalizeMac("52:54:00:AA:00:01"));
        assertEquals("52:54:00:aa:00:01", NicLink.normalizeMac(" 52-54-00-aa-00-01 "));
        assertEquals("52:54:00:aa:00:01", NicLink.normalizeMac("525400AA0001"));
        for (String bad : new String[] {null, "", "52:54:00:aa:00", "52:54:00:aa:00:01:02", "52:54-00:aa:00:01", "zz:54:00:aa:00:01"}) {
            assertEquals(Reason.INVALID_ARGUMENT,
                    assertThrows(HypervisorException.class, () -> NicLink.normalizeMac(bad)).reason(), bad);
        }
    }

    @Test
    void interfaceElementWithLinkStateForDeviceUpdate() throws Exception {
        String down = NicLink.interfaceXml(XML, "52:54:00:aa:00:01", false);
        assertTrue(down.startsWith("<interface type=\"network\"><mac address=\"52:54:00:AA:00:01\"/>"), down);
        assertTrue(down.contains("<alias name=\"net0\"/>"), down);
        assertTrue(down.endsWith("<link state=\"down\"/></interface>"), down);
        String up = NicLink.interfaceXml(XML, "52:54:00:aa:00:02", true);
        assertTrue(up.contains("<link state=\"up\"/>"), up);
        assertFalse(up.contains("down"), up);
        assertNull(NicLink.interfaceXml(XML, "52:54:00:aa:00:03", true));
    }

    @Test
    void wholeDefinitionWithLinkState() throws Exception {
        String xml = NicLink.definitionWith(XML, "52:54:00:aa:00:02", true);
        assertTrue(xml.contains("<source bridge=\"br0\"/><link state=\"up\"/>"), xml);
        assertTrue(xml.contains("passwd=\"s3cret\""), xml);
        assertNull(NicLink.definitionWith(XML, "52:54:00:aa:00:09", true));
        assertEquals(2, DomainHardwareParser.parse(xml).nics().size());
        assertTrue(DomainHardwareParser.parse(xml).nics().get(1).linkUp());
        assertFalse(DomainHardwareParser.parse(NicLink.definitionWith(XML, "52:54:00:aa:00:01", false)).nics().get(0).linkUp());
    }
}
