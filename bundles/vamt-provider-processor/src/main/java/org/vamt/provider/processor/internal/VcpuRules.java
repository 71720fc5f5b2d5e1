package org.vamt.provider.processor.internal;

import org.vamt.cim.CimException;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;

/**
 * Hypervisors count online vCPUs (0 … n-1 are online), so a vCPU can be enabled by raising the
 * count to include it, and disabled only when it is the highest online one and not vCPU 0. Any
 * other request answers {@link #NOT_POSSIBLE} rather than changing a different vCPU. Where the
 * hypervisor cannot unplug live (QEMU under TCG), a disable changes the next start only: the vCPU is
 * still reported enabled, with RequestedState 3, until the next power cycle.
 */
final class VcpuRules {
    static final long SUCCESS = 0;
    static final long NOT_POSSIBLE = 2;

    private VcpuRules() {
    }

    static long enable(Hypervisor hypervisor, MachineInfo vm, long number, boolean enable) throws CimException {
        int online = vm.onlineVcpus();
        long wanted;
        if (number < 0 || number >= vm.maxVcpus()) {
            return NOT_POSSIBLE;
        }
        if (enable) {
            wanted = Math.max(online, number + 1);
        } else if (number >= online) {
            wanted = online;
        } else if (number == online - 1 && number > 0) {
            wanted = number;
        } else {
            return NOT_POSSIBLE;
        }
        if (wanted == online && wanted == vm.nextStartVcpus()) {
            return SUCCESS;
        }
        // also when only the next start differs: e.g. Enable(true) cancels a disable still pending
        try {
            hypervisor.setOnlineVcpus(vm.uuid(), (int) wanted);
            return SUCCESS;
        } catch (HypervisorException e) {
            return switch (e.reason()) {
                case INVALID_STATE, UNSUPPORTED, INVALID_ARGUMENT -> NOT_POSSIBLE;
                default -> throw Machines.toCim(e);
            };
        }
    }
}
