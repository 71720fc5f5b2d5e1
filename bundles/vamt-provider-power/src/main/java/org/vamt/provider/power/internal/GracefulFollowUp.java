package org.vamt.provider.power.internal;

import org.vamt.hypervisor.MachineState;

/**
 * What to do after an ACPI shutdown request, once the guest has powered off or the timeout has
 * passed. Pure: the inputs are explicit, {@link PowerProvider} supplies them and carries out the step.
 */
final class GracefulFollowUp {

    /** The graceful requests that need a follow-up. */
    enum Kind {
        /** 13: off – hard graceful. Shut down; force off if the guest has not complied in time. */
        OFF_HARD_AFTER_TIMEOUT,
        /**
         * 15: power cycle (off – soft graceful). Shut down, start again once off; a guest that does not
         * comply is left running. Also 14 while a one-time boot device is pending.
         */
        CYCLE_SOFT,
        /** 16: power cycle (off – hard graceful). Shut down, force off after the timeout, then start. */
        CYCLE_HARD;

        static Kind of(int powerState) {
            return switch (powerState) {
                case PowerStates.OFF_HARD_GRACEFUL -> OFF_HARD_AFTER_TIMEOUT;
                case PowerStates.POWER_CYCLE_SOFT_GRACEFUL, PowerStates.RESET_GRACEFUL -> CYCLE_SOFT;
                case PowerStates.POWER_CYCLE_HARD_GRACEFUL -> CYCLE_HARD;
                default -> throw new IllegalArgumentException("no graceful follow-up for PowerState " + powerState);
            };
        }
    }

    /** The step to take. */
    enum Step {
        /** The guest still has power and there is time left: keep waiting. */
        WAIT,
        /** The guest is off and nothing else was asked for: finished. */
        DONE,
        /** The guest is off: start it (the pending one-time boot device applies). */
        START,
        /** Timed out with the guest still on: pull the plug. */
        FORCE_OFF,
        /** Timed out with the guest still on: pull the plug, then start. */
        FORCE_OFF_AND_START,
        /** Timed out with the guest still on, and forcing was not asked for: leave it running, warn. */
        GIVE_UP,
        /** The machine no longer exists. */
        GONE
    }

    private GracefulFollowUp() {
    }

    /**
     * @param kind     what was requested
     * @param state    the machine's current state, or null when it no longer exists
     * @param timedOut whether the timeout has passed
     */
    static Step decide(Kind kind, MachineState state, boolean timedOut) {
        if (state == null) {
            return Step.GONE;
        }
        if (!state.isOn()) {
            return kind == Kind.OFF_HARD_AFTER_TIMEOUT ? Step.DONE : Step.START;
        }
        if (!timedOut) {
            return Step.WAIT;
        }
        return switch (kind) {
            case OFF_HARD_AFTER_TIMEOUT -> Step.FORCE_OFF;
            case CYCLE_SOFT -> Step.GIVE_UP;
            case CYCLE_HARD -> Step.FORCE_OFF_AND_START;
        };
    }
}
