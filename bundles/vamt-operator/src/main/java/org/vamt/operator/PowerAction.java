package org.vamt.operator;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The power actions an operator asks for, as CIM_PowerManagementService.RequestPowerStateChange
 * takes them ({@link #powerState()}) and as AMT's audit log records them: application 17, remote
 * control, events 0 power up, 1 power down, 2 power cycle, 3 reset ({@link #auditEvent()}).
 */
public enum PowerAction {
    ON("on", 2, 0),
    CYCLE("cycle", 5, 2),
    OFF("off", 8, 1),
    RESET("reset", 10, 3),
    SHUTDOWN("shutdown", 12, 1);

    private final String word;
    private final int powerState;
    private final int auditEvent;

    PowerAction(String word, int powerState, int auditEvent) {
        this.word = word;
        this.powerState = powerState;
        this.auditEvent = auditEvent;
    }

    /** What the operator types or presses: on, cycle, off, reset, shutdown. */
    public String word() {
        return word;
    }

    /** CIM PowerState value of RequestPowerStateChange. */
    public int powerState() {
        return powerState;
    }

    /** AMT audit EventID within application 17 (remote control). */
    public int auditEvent() {
        return auditEvent;
    }

    /**
     * The action named {@code word} (any case).
     *
     * @throws IllegalArgumentException naming the actions there are
     */
    public static PowerAction of(String word) {
        for (PowerAction a : values()) {
            if (a.word.equals(word == null ? null : word.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown action '" + word + "'; use one of " + words());
    }

    public static List<String> words() {
        return Arrays.stream(values()).map(PowerAction::word).toList();
    }
}
