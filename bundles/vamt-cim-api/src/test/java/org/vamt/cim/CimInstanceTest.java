package org.vamt.cim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CimInstanceTest {

    @Test
    void pathHoldsOnlyKeysInOrder() {
        CimInstance i = CimInstance.builder("CIM_PowerManagementService")
                .key("SystemName", "Intel(r) AMT").property("EnabledState", 5).key("Name", "x").build();
        assertEquals(List.of("SystemName", "Name"), List.copyOf(i.path().keys().keySet()));
        assertEquals(5L, i.get("enabledstate"), "integers are stored as Long, names are case-insensitive");
    }

    @Test
    void nullPropertyIsAbsent() {
        CimInstance i = CimInstance.builder("C").key("K", "1").property("P", null).build();
        assertNull(i.get("P"));
        assertFalse(i.properties().containsKey("P"));
    }

    @Test
    void unsupportedValuesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> CimInstance.builder("C").property("P", new Object()).build());
    }

    @Test
    void selectorTextMatchesTypedKey() {
        CimObjectPath typed = CimObjectPath.of("Processor", "Number", 2L);
        CimObjectPath fromWire = new CimObjectPath("processor", Map.of("number", "2"));
        assertEquals(typed, fromWire);
        assertTrue(CimValues.sameValue(true, "true"));
    }

    @Test
    void argumentConversionFailsWithInvalidParameter() {
        CimException e = assertThrows(CimException.class, () -> CimValues.toLong("two"));
        assertEquals(CimStatus.INVALID_PARAMETER, e.status());
        assertThrows(CimException.class, () -> CimValues.toBoolean("yes"));
        assertTrue(uncheckedBoolean("1"));
    }

    private static boolean uncheckedBoolean(String s) {
        try {
            return CimValues.toBoolean(s);
        } catch (CimException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void amtVersionComesFromTheBuild() {
        assertTrue(VamtProduct.amtVersion().matches("\\d+\\.\\d+\\.\\d+\\.\\d+"));
    }
}
