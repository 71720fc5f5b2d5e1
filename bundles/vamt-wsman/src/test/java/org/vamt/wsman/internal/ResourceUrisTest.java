package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResourceUrisTest {

    @Test
    void cimNamesAreALetterOrUnderscoreThenLettersDigitsOrUnderscores() {
        for (String name : new String[] {"CIM_ComputerSystem", "_x", "a", "AMT_8021XProfile", "Z9_"}) {
            assertTrue(ResourceUris.isCimName(name), name);
        }
        for (String name : new String[] {"", "9abc", "CIM-Foo", "CIM Foo", "a.b", "ä", "x/", "\u0661"}) {
            assertFalse(ResourceUris.isCimName(name), name);
        }
        assertFalse(ResourceUris.isCimName(null));
    }

    @Test
    void aResourceUriNamesItsClassOnlyUnderTheClassesOwnSchema() {
        assertEquals(Optional.of("CIM_ComputerSystem"), ResourceUris.className(ResourceUris.CIM + "CIM_ComputerSystem"));
        assertEquals(Optional.of("AMT_GeneralSettings"), ResourceUris.className(ResourceUris.AMT + "AMT_GeneralSettings"));
        assertEquals(Optional.empty(), ResourceUris.className(ResourceUris.CIM + "CIM_Bad-Name"));
        assertEquals(Optional.empty(), ResourceUris.className(ResourceUris.AMT + "CIM_ComputerSystem"));
        assertEquals(Optional.empty(), ResourceUris.className(null));
    }
}
