package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OverdueCallsTest {
    private final OverdueCalls overdue = new OverdueCalls("test+unix:///default");

    @Test
    void aCallThatOverranCountsOnceUntilItReturns() {
        OverdueCalls.Call call = overdue.start();
        assertFalse(overdue.frozen());
        call.overran("listMachines");
        call.overran("listMachines");
        assertTrue(overdue.frozen());
        assertEquals(1, overdue.count());
        call.returned();
        assertFalse(overdue.frozen());
        assertEquals(0, overdue.count());
        call.returned();
        assertEquals(0, overdue.count());
    }

    @Test
    void frozenUntilTheLastOverdueCallReturns() {
        OverdueCalls.Call a = overdue.start();
        OverdueCalls.Call b = overdue.start();
        a.overran("a");
        b.overran("b");
        a.returned();
        assertTrue(overdue.frozen());
        assertEquals(1, overdue.count());
        b.returned();
        assertFalse(overdue.frozen());
    }

    @Test
    void aCallThatReturnedBeforeItsCallerGaveUpIsNotCounted() {
        OverdueCalls.Call call = overdue.start();
        call.returned();
        call.overran("late");
        assertFalse(overdue.frozen());
        assertEquals(0, overdue.count());
    }
}
