package org.vamt.provider.inventory.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PlatformGuidTest {
    @Test
    void firstThreeFieldsAreByteReversedAsInSmbios() {
        assertEquals("13AEE355D2BFBB6117A088AEDD7037EA", PlatformGuid.of("55e3ae13-bfd2-61bb-17a0-88aedd7037ea"));
    }

    @Test
    void garbageIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PlatformGuid.of("not-a-uuid"));
    }
}
