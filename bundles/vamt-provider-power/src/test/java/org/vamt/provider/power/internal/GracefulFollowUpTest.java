package org.vamt.provider.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.provider.power.internal.GracefulFollowUp.Kind.CYCLE_HARD;
import static org.vamt.provider.power.internal.GracefulFollowUp.Kind.CYCLE_SOFT;
import static org.vamt.provider.power.internal.GracefulFollowUp.Kind.OFF_HARD_AFTER_TIMEOUT;
import static org.vamt.provider.power.internal.GracefulFollowUp.decide;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.MachineState;
import org.vamt.provider.power.internal.GracefulFollowUp.Kind;
import org.vamt.provider.power.internal.GracefulFollowUp.Step;

/** The follow-up decision with explicit inputs, including guests that never comply. */
class GracefulFollowUpTest {
    private static final Set<MachineState> OFF = EnumSet.of(MachineState.SHUT_OFF, MachineState.CRASHED);
    private static final Set<MachineState> STILL_ON = EnumSet.complementOf(EnumSet.copyOf(OFF));

    @Test
    void requestsThatNeedAFollowUp() {
        assertEquals(OFF_HARD_AFTER_TIMEOUT, Kind.of(13));
        assertEquals(CYCLE_SOFT, Kind.of(15));
        assertEquals(CYCLE_SOFT, Kind.of(14), "graceful reset with a pending boot device");
        assertEquals(CYCLE_HARD, Kind.of(16));
        for (int other : new int[] {0, 2, 5, 8, 10, 12, 17}) {
            assertThrows(IllegalArgumentException.class, () -> Kind.of(other), "" + other);
        }
    }

    @Test
    void guestStillOnBeforeTheTimeoutMeansWait() {
        for (Kind kind : Kind.values()) {
            for (MachineState s : STILL_ON) {
                assertEquals(Step.WAIT, decide(kind, s, false), kind + " " + s);
            }
        }
    }

    @Test
    void guestThatCompliedIsDoneOrStartedAgain() {
        for (MachineState s : OFF) {
            for (boolean timedOut : new boolean[] {false, true}) {
                assertEquals(Step.DONE, decide(OFF_HARD_AFTER_TIMEOUT, s, timedOut), s + " " + timedOut);
                assertEquals(Step.START, decide(CYCLE_SOFT, s, timedOut), s + " " + timedOut);
                assertEquals(Step.START, decide(CYCLE_HARD, s, timedOut), s + " " + timedOut);
            }
        }
    }

    @Test
    void guestThatDidNotComplyInTime() {
        for (MachineState s : STILL_ON) {   // running, shutting down, paused, PM-suspended, no state
            assertEquals(Step.FORCE_OFF, decide(OFF_HARD_AFTER_TIMEOUT, s, true), s.toString());
            assertEquals(Step.GIVE_UP, decide(CYCLE_SOFT, s, true), s.toString());
            assertEquals(Step.FORCE_OFF_AND_START, decide(CYCLE_HARD, s, true), s.toString());
        }
    }

    @Test
    void machineThatIsGone() {
        for (Kind kind : Kind.values()) {
            assertEquals(Step.GONE, decide(kind, null, false));
            assertEquals(Step.GONE, decide(kind, null, true));
        }
    }
}
