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
 * @param nextStartVcpus vCPUs the next start brings up (the persistent configuration); differs from
 *                    {@code onlineVcpus} while a change waits for the next power cycle, e.g. a vCPU
 *                    unplug the hypervisor cannot do live
 */
public record MachineInfo(String uuid, String name, MachineState state, int onlineVcpus, int maxVcpus,
                          long memoryKiB, int nextStartVcpus) implements Serializable {
    public MachineInfo {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
    }

    /** A machine without a pending vCPU change: the next start brings up {@code onlineVcpus}. */
    public MachineInfo(String uuid, String name, MachineState state, int onlineVcpus, int maxVcpus, long memoryKiB) {
        this(uuid, name, state, onlineVcpus, maxVcpus, memoryKiB, onlineVcpus);
    }

    /** Whether vCPU {@code n} (from 0) runs now, and whether it will after the next power cycle differ. */
    public boolean vcpuChangePending(int n) {
        return (n < onlineVcpus) != (n < nextStartVcpus);
    }
}
