package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The addressPool setting: ranges, CIDR blocks without network and broadcast address, lists, and what is refused. */
class AddressPoolTest {

    @Test
    void rangesAndBlocksInTheOrderGiven() {
        assertEquals(List.of("192.0.2.50", "192.0.2.51", "192.0.2.52"),
                AddressPool.parse("192.0.2.50-192.0.2.52").addresses());
        AddressPool block = AddressPool.parse("192.0.2.64/26");
        assertEquals(62, block.size());
        assertEquals("192.0.2.65", block.addresses().get(0));
        assertEquals("192.0.2.126", block.addresses().get(61));
        assertFalse(block.contains("192.0.2.64"), "the network address is not handed out");
        assertFalse(block.contains("192.0.2.127"), "nor the broadcast address");
        assertEquals(List.of("10.0.0.9", "192.0.2.50", "192.0.2.51"),
                AddressPool.parse(" 10.0.0.9 , 192.0.2.50-192.0.2.51").addresses());
        assertEquals(List.of("192.0.2.254", "192.0.2.255", "192.0.3.0"),
                AddressPool.parse("192.0.2.254-192.0.3.0").addresses(), "a range is taken as written");
        assertTrue(AddressPool.parse("192.0.2.64/26").contains("192.0.2.100"));
        assertNull(AddressPool.parse("  "), "blank: no pool");
    }

    @Test
    void nonsenseIsRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressPool.parse("192.0.2.9-192.0.2.1"))
                .getMessage().contains("ends before it starts"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressPool.parse("10.0.0.0/8"))
                .getMessage().contains("more than 65536"));
        assertThrows(IllegalArgumentException.class, () -> AddressPool.parse("192.0.2.0/x"));
        assertThrows(IllegalArgumentException.class, () -> AddressPool.parse("2001:db8::1-2001:db8::9"));
        assertThrows(IllegalArgumentException.class, () -> AddressPool.parse(","));
    }
}
