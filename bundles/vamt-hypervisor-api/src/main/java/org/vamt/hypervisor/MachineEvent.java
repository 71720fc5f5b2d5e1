package org.vamt.hypervisor;

import java.io.Serializable;

/**
 * A lifecycle change of one machine.
 *
 * @param uuid the machine
 * @param name its name at the time of the event
 * @param type what happened
 */
public record MachineEvent(String uuid, String name, Type type) implements Serializable {
    public enum Type { DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN, PM_SUSPENDED, CRASHED, OTHER }
}
