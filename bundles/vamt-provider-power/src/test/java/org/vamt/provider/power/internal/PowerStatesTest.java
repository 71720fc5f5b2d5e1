package org.vamt.provider.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.MachineState;

/** Which requests are possible and offered in which hypervisor state. */
class PowerStatesTest {

    private static List<Integer> possibleIn(MachineState s) {
        List<Integer> result = new ArrayList<>();
        for (int v = 0; v <= 0xFFFF; v++) {
            if (PowerStates.possible(v, s)) {
                result.add(v);
            }
        }
        return result;
    }

    @Test
    void possibleRequestsByState() {
        List<Integer> running = List.of(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        List<Integer> onButNotRunning = List.of(5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        Map<MachineState, List<Integer>> expected = Map.of(
                MachineState.RUNNING, running,
                MachineState.BLOCKED, running,
                MachineState.SHUTTING_DOWN, onButNotRunning,
                MachineState.NO_STATE, onButNotRunning,
                MachineState.PAUSED, List.of(2, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16),
                MachineState.SUSPENDED, List.of(2, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16),
                MachineState.SHUT_OFF, List.of(2),
                MachineState.CRASHED, List.of(2));
        for (MachineState s : MachineState.values()) {
            assertEquals(expected.get(s), possibleIn(s), s.toString());
        }
    }

    @Test
    void offeredRequestsArePossibleAndLeaveOutSleepAndHibernate() {
        assertEquals(List.of(10L, 8L, 5L, 11L, 14L, 12L), PowerStates.available(MachineState.RUNNING));
        assertEquals(List.of(2L, 8L, 10L), PowerStates.available(MachineState.PAUSED));
        assertEquals(List.of(2L), PowerStates.available(MachineState.SHUT_OFF));
        for (MachineState s : MachineState.values()) {
            for (long v : PowerStates.available(s)) {
                assertEquals(true, PowerStates.possible((int) v, s), s + " offers " + v);
            }
            assertEquals(false, PowerStates.available(s).contains(4L), s.toString());
            assertEquals(false, PowerStates.available(s).contains(7L), s.toString());
        }
    }

    @Test
    void reportedPowerState() {
        assertEquals(2, PowerStates.of(MachineState.RUNNING));
        assertEquals(2, PowerStates.of(MachineState.SHUTTING_DOWN));
        assertEquals(4, PowerStates.of(MachineState.PAUSED));
        assertEquals(4, PowerStates.of(MachineState.SUSPENDED));
        assertEquals(8, PowerStates.of(MachineState.SHUT_OFF));
        assertEquals(8, PowerStates.of(MachineState.CRASHED));
    }
}
