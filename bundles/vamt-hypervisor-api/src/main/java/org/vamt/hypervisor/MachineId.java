package org.vamt.hypervisor;

import java.io.Serializable;
import java.util.Objects;

/**
 * A machine's identity only, as {@link Hypervisor#listMachineIds()} lists it.
 *
 * @param uuid canonical lower-case UUID
 * @param name the hypervisor's name for the machine
 */
public record MachineId(String uuid, String name) implements Serializable {
    public MachineId {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
    }
}
