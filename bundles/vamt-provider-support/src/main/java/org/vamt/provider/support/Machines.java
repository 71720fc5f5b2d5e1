package org.vamt.provider.support;

import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;

/** Looking up the request's VM and turning hypervisor failures into CIM errors. */
public final class Machines {
    private Machines() {
    }

    /** The VM the request is about; NOT_FOUND when it has been undefined meanwhile. */
    public static MachineInfo require(Hypervisor hypervisor, RequestContext ctx) throws CimException {
        try {
            return hypervisor.machine(ctx.machineId()).orElseThrow(() ->
                    new CimException(CimStatus.NOT_FOUND, "VM " + ctx.machineName() + " no longer exists"));
        } catch (HypervisorException e) {
            throw toCim(e);
        }
    }

    /** The CIM error for a hypervisor failure: unreachable hypervisors are retryable, the rest fail. */
    public static CimException toCim(HypervisorException e) {
        CimStatus status = switch (e.reason()) {
            case NOT_FOUND -> CimStatus.NOT_FOUND;
            case UNAVAILABLE -> CimStatus.UNAVAILABLE;
            case UNSUPPORTED -> CimStatus.NOT_SUPPORTED;
            case INVALID_ARGUMENT -> CimStatus.INVALID_PARAMETER;
            default -> CimStatus.FAILED;
        };
        return new CimException(status, e.getMessage(), e);
    }
}
