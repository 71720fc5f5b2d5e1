package org.vamt.provider.power.internal;

import java.util.List;
import org.vamt.hypervisor.MachineState;

/**
 * AMT PowerState values (CIM_AssociatedPowerManagementService, RequestPowerStateChange) and how
 * hypervisor states map to them.
 */
final class PowerStates {
    static final int ON = 2;
    static final int SLEEP_DEEP = 4;
    static final int POWER_CYCLE_SOFT = 5;
    static final int OFF_HARD = 6;
    static final int HIBERNATE = 7;
    static final int OFF_SOFT = 8;
    static final int POWER_CYCLE_HARD = 9;
    static final int RESET = 10;
    static final int NMI = 11;
    static final int OFF_SOFT_GRACEFUL = 12;
    static final int OFF_HARD_GRACEFUL = 13;
    static final int RESET_GRACEFUL = 14;
    static final int POWER_CYCLE_SOFT_GRACEFUL = 15;
    static final int POWER_CYCLE_HARD_GRACEFUL = 16;

    /**
     * Real AMT's list when on (10,8,5,11,4,7,14,12; compat §4.3) without sleep and hibernate,
     * which need a cooperating guest. The other requests (6, 9, 13, 15, 16) are still carried
     * out when asked for, but AMT does not advertise them, so neither do we.
     */
    private static final List<Long> WHEN_RUNNING = longs(RESET, OFF_SOFT, POWER_CYCLE_SOFT, NMI, RESET_GRACEFUL,
            OFF_SOFT_GRACEFUL);
    /**
     * CIM_PowerManagementCapabilities' supported and requestable states: AMT 16's list, in its
     * order (5, 8, 2, 10, 11, 12, 14). Every one is carried out for a VM (possible() in some state);
     * sleep (4) and hibernate (7) are not listed, as in the running list above.
     */
    static final List<Long> SUPPORTED = longs(POWER_CYCLE_SOFT, OFF_SOFT, ON, RESET, NMI, OFF_SOFT_GRACEFUL,
            RESET_GRACEFUL);
    private static final List<Long> WHEN_PAUSED = longs(ON, OFF_SOFT, RESET);
    private static final List<Long> WHEN_OFF = longs(ON);

    private PowerStates() {
    }

    /** AMT reports 2 for a running host, 4 for a suspended one (S3) and 8 (soft-off, S5) when off. */
    static int of(MachineState s) {
        return switch (s) {
            case PAUSED, SUSPENDED -> SLEEP_DEEP;
            case SHUT_OFF, CRASHED -> OFF_SOFT;
            default -> ON;
        };
    }

    /**
     * What a client may request now. Running: real AMT's order (10, 8, 5, 11, 14, 12), then the
     * other values this VM can do. Sleep (4) and hibernate (7) are never offered: whether the guest
     * can suspend (guest agent) is only known by trying, and they answer 2 when it cannot.
     */
    static List<Long> available(MachineState s) {
        if (!s.isOn()) {
            return WHEN_OFF;
        }
        if (s == MachineState.PAUSED || s == MachineState.SUSPENDED) {
            return WHEN_PAUSED;
        }
        return WHEN_RUNNING;
    }

    /**
     * Whether asking for {@code requested} makes sense in state {@code s}; when not, AMT answers
     * ReturnValue 2 (NOT_READY) and nothing happens. Unknown values are never possible.
     */
    static boolean possible(int requested, MachineState s) {
        return switch (requested) {
            // on: start when off, resume when paused, wake up when PM-suspended
            case ON -> !s.isOn() || s == MachineState.PAUSED || s == MachineState.SUSPENDED;
            // sleep and hibernate need a guest that runs
            case SLEEP_DEEP, HIBERNATE -> s == MachineState.RUNNING || s == MachineState.BLOCKED;
            case POWER_CYCLE_SOFT, OFF_HARD, OFF_SOFT, POWER_CYCLE_HARD, RESET, NMI, OFF_SOFT_GRACEFUL,
                    OFF_HARD_GRACEFUL, RESET_GRACEFUL, POWER_CYCLE_SOFT_GRACEFUL, POWER_CYCLE_HARD_GRACEFUL -> s.isOn();
            default -> false;
        };
    }

    private static List<Long> longs(int... values) {
        Long[] result = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (long) values[i];
        }
        return List.of(result);
    }
}
