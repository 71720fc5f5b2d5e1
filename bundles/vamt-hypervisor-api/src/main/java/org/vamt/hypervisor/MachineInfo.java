package org.vamt.hypervisor;

import java.io.Serializable;
import java.util.Objects;

/**
 * A snapshot of one machine's identity and state.
 *
 * @param uuid        canonical lower-case UUID
 * @param name        the hypervisor's name for the machine
 * @param state       power state at the time of the snapshot
 * @param onlineVcpus vCPUs currently enabled (live count when running, configured count otherwise)
 * @param maxVcpus    the most vCPUs the machine may have
 * @param memoryKiB   configured memory in KiB
 */
public record MachineInfo(String uuid, String name, MachineState state, int onlineVcpus, int maxVcpus,
                          long memoryKiB) implements Serializable {
    public MachineInfo {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
    }
}
