package org.vamt.provider.alarm.internal;

import java.util.ArrayList;
import java.util.List;
import org.vamt.hypervisor.state.StateType;

/**
 * A VM's alarm clock and boot record, kept with the VM (typed state, namespace {@code alarm}) so
 * that alarms survive vAMT restarts and fire from whichever gateway gets there first: every change
 * is a compare-and-set, so an alarm fires once.
 *
 * @param alarms         the alarms (IPS_AlarmClockOccurrence), in the order they were added
 * @param alarmPowerOnAt when an alarm last powered the VM on (host clock, epoch ms; 0 never)
 * @param lastBoot       the reason of the last start the lifecycle events reported; null: none seen
 */
public record AlarmClockState(List<Alarm> alarms, long alarmPowerOnAt, BootRecord lastBoot) {
    public static final AlarmClockState EMPTY = new AlarmClockState(List.of(), 0, null);
    public static final StateType<AlarmClockState> STATE = StateType.of("alarm", AlarmClockState.class, EMPTY);

    public AlarmClockState {
        alarms = alarms == null ? List.of() : List.copyOf(alarms);
    }

    /**
     * One alarm.
     *
     * @param instanceId         the key the console chose
     * @param elementName        its display name
     * @param startSeconds       the next time it fires, epoch seconds on the VM's firmware clock
     * @param intervalMinutes    minutes between occurrences; 0 once
     * @param deleteOnCompletion whether it goes once it has run (never for a repeating one)
     * @param completed          a one-time alarm that has run and was kept
     */
    public record Alarm(String instanceId, String elementName, long startSeconds, long intervalMinutes,
                        boolean deleteOnCompletion, boolean completed) {
    }

    /**
     * Why the VM last booted, as IPS_HostBootReason reports it.
     *
     * @param reason          1 other, 2 remote control, 3 alarm
     * @param previousSxState 0 unknown, 2 S0, 5 S3, 7 S5
     * @param atMillis        when the boot was seen (host clock, epoch ms)
     */
    public record BootRecord(int reason, int previousSxState, long atMillis) {
    }

    AlarmClockState withAlarms(List<Alarm> list) {
        return new AlarmClockState(new ArrayList<>(list), alarmPowerOnAt, lastBoot);
    }
}
