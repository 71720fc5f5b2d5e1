package org.vamt.provider.alarm.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.alarm.internal.AlarmClockState.BootRecord;
import org.vamt.provider.alarm.model.IPS_HostBootReason;
import org.vamt.provider.alarm.model.IPS_HostBootReasonProviderSkeleton;
import org.vamt.provider.support.Machines;

/**
 * IPS_HostBootReason: why the VM last booted. Reason 3 (alarm) when an alarm powered it on, 2
 * (remote control) when CIM_PowerManagementService did (power on, cycle or reset), 1 (other) for
 * any other start (virsh, the host's autostart) and when nothing is known yet, as the answer
 * captured from a real AMT (Reason 1, PreviousSxState 0) has it. PreviousSxState: 7 (S5) after
 * off, 5 (S3) after a wake from suspend, 2 (S0) after a reset, 0 when unknown.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=IPS_HostBootReason",
    CimProvider.REALM_PREFIX + "IPS_HostBootReason=5"})
public class HostBootReasonProvider extends IPS_HostBootReasonProviderSkeleton {
    static final String NAME = "Intel(r) AMT:Host Boot Reason";

    private final Hypervisor hypervisor;
    private final AlarmClock alarms;

    @Activate
    public HostBootReasonProvider(@Reference Hypervisor hypervisor, @Reference AlarmClock alarms) {
        this.hypervisor = hypervisor;
        this.alarms = alarms;
    }

    @Override
    protected List<IPS_HostBootReason> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        try {
            BootRecord boot = alarms.lastBoot(ctx.machineId())
                    .orElse(new BootRecord(AlarmClock.REASON_OTHER, 0, 0));
            return List.of(new IPS_HostBootReason()
                    .setElementName(NAME)
                    .setInstanceID(NAME)
                    .setPreviousSxState(boot.previousSxState())
                    .setReason(boot.reason())
                    .setReasonDetails(""));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
