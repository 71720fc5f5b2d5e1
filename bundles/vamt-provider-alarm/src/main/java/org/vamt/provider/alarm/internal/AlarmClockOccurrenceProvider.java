package org.vamt.provider.alarm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.alarm.internal.AlarmClockState.Alarm;
import org.vamt.provider.alarm.model.IPS_AlarmClockOccurrence;
import org.vamt.provider.alarm.model.IPS_AlarmClockOccurrenceProviderSkeleton;
import org.vamt.provider.support.Machines;

/**
 * IPS_AlarmClockOccurrence: the VM's alarms. Enumerate, Get, Delete, and Put of StartTime,
 * Interval and DeleteOnCompletion (MeshCommander edits an alarm that way). A one-time alarm that
 * has run and was not deleted stays, with its StartTime in the past.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=IPS_AlarmClockOccurrence",
    CimProvider.REALM_PREFIX + "IPS_AlarmClockOccurrence=5"})
public class AlarmClockOccurrenceProvider extends IPS_AlarmClockOccurrenceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmClockOccurrenceProvider.class);

    private final Hypervisor hypervisor;
    private final AlarmClock alarms;

    @Activate
    public AlarmClockOccurrenceProvider(@Reference Hypervisor hypervisor, @Reference AlarmClock alarms) {
        this.hypervisor = hypervisor;
        this.alarms = alarms;
    }

    @Override
    protected List<IPS_AlarmClockOccurrence> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        try {
            List<IPS_AlarmClockOccurrence> out = new ArrayList<>();
            for (Alarm a : alarms.alarms(ctx.machineId())) {
                out.add(toCim(a));
            }
            return out;
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    static IPS_AlarmClockOccurrence toCim(Alarm a) {
        IPS_AlarmClockOccurrence o = new IPS_AlarmClockOccurrence()
                .setElementName(a.elementName())
                .setInstanceID(a.instanceId())
                .setStartTime(CimTimes.start(a.startSeconds()));
        if (a.intervalMinutes() > 0) {
            o.setInterval(CimTimes.interval(a.intervalMinutes()));
        }
        return o.setDeleteOnCompletion(a.deleteOnCompletion());
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        String id = String.valueOf(instance.get("InstanceID"));
        try {
            if (!alarms.delete(ctx.machineId(), id)) {
                throw new CimException(CimStatus.NOT_FOUND, "no alarm " + id);
            }
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {} ({}): alarm {} deleted by {}", ctx.machineName(), ctx.machineId(), id, ctx.user());
    }

    /** A new StartTime must be in the future, as for AddAlarm; the Interval whole minutes. */
    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        String id = String.valueOf(current.get("InstanceID"));
        Optional<Long> start = CimTimes.startSeconds(modified.get("StartTime"));
        Optional<Long> interval = CimTimes.intervalMinutes(modified.get("Interval"));
        Object doc = modified.get("DeleteOnCompletion");
        if (start.isEmpty() || interval.isEmpty()) {
            throw new CimException(CimStatus.INVALID_PARAMETER, start.isEmpty() ? "StartTime is not a date and time"
                    : "Interval is not a duration of whole minutes");
        }
        try {
            Alarm old = alarms.alarms(ctx.machineId()).stream().filter(a -> a.instanceId().equals(id)).findFirst()
                    .orElseThrow(() -> new CimException(CimStatus.NOT_FOUND, "no alarm " + id));
            boolean startChanged = start.get() != old.startSeconds();
            if (startChanged && start.get() <= alarms.firmwareNow(ctx.machineId())) {
                throw new CimException(CimStatus.INVALID_PARAMETER, "StartTime is not in the future");
            }
            Alarm changed = new Alarm(id, old.elementName(), start.get(), interval.get(),
                    doc == null ? old.deleteOnCompletion() : Boolean.TRUE.equals(doc),
                    old.completed() && !startChanged && interval.get() == 0);
            if (!alarms.replace(ctx.machineId(), changed)) {
                throw new CimException(CimStatus.NOT_FOUND, "no alarm " + id);
            }
            LOG.info("VM {} ({}): alarm {} changed by {}", ctx.machineName(), ctx.machineId(), id, ctx.user());
            return toCim(changed).toInstance();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
