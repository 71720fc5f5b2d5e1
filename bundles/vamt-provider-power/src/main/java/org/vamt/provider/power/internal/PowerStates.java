package org.vamt.provider.power.internal;

import java.util.List;
import org.vamt.hypervisor.MachineState;

/** Hypervisor states as AMT PowerState values (CIM_AssociatedPowerManagementService). */
final class PowerStates {
    static final int ON = 2;
    static final int SLEEP_DEEP = 4;
    static final int POWER_CYCLE_SOFT = 5;
    static final int OFF_HARD = 6;
    static final int OFF_SOFT = 8;
    static final int POWER_CYCLE_HARD = 9;
    static final int RESET = 10;
    static final int OFF_SOFT_GRACEFUL = 12;
    static final int RESET_GRACEFUL = 14;

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

    /** What a client may request now: everything this VM can do when on, only power-up when off. */
    static List<Long> available(MachineState s) {
        if (!s.isOn()) {
            return List.of((long) ON);
        }
        if (s == MachineState.PAUSED || s == MachineState.SUSPENDED) {
            return List.of((long) ON, (long) OFF_SOFT, (long) RESET);
        }
        return List.of((long) RESET, (long) OFF_SOFT, (long) POWER_CYCLE_SOFT, (long) OFF_HARD,
                (long) POWER_CYCLE_HARD, (long) OFF_SOFT_GRACEFUL, (long) RESET_GRACEFUL);
    }
}
