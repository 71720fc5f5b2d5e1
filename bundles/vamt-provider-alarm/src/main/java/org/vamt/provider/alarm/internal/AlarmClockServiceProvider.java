package org.vamt.provider.alarm.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.alarm.internal.AlarmClockState.Alarm;
import org.vamt.provider.alarm.model.AMT_AlarmClockService;
import org.vamt.provider.alarm.model.AMT_AlarmClockServiceProviderSkeleton;
import org.vamt.provider.alarm.model.IPS_AlarmClockOccurrence;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/**
 * AMT_AlarmClockService: the singleton AMT 16 answers (five properties: the single-alarm
 * NextAMTAlarmTime/AMTAlarmClockInterval of AMT before 8 are not returned) and AddAlarm, whose
 * template becomes an IPS_AlarmClockOccurrence of the VM.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_AlarmClockService",
    CimProvider.REALM_PREFIX + "AMT_AlarmClockService=5",
    CimProvider.REALM_PREFIX + "AMT_AlarmClockService.AddAlarm=5"})
public class AlarmClockServiceProvider extends AMT_AlarmClockServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmClockServiceProvider.class);
    static final String NAME = "Intel(r) AMT Alarm Clock Service";
    static final int MAX_ID_LENGTH = 256;
    static final long SUCCESS = 0;
    static final long INTERNAL_ERROR = 1;
    static final long MAX_LIMIT_REACHED = 23;
    static final long INVALID_PARAMETER = 36;
    static final long DUPLICATE = 2058;

    private final Hypervisor hypervisor;
    private final AlarmClock alarms;

    @Activate
    public AlarmClockServiceProvider(@Reference Hypervisor hypervisor, @Reference AlarmClock alarms) {
        this.hypervisor = hypervisor;
        this.alarms = alarms;
    }

    @Override
    protected List<AMT_AlarmClockService> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_AlarmClockService()
                .setCreationClassName(AMT_AlarmClockService.CLASS_NAME)
                .setElementName(NAME)
                .setName(NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.MANAGED_SYSTEM));
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        if ("AddAlarm".equalsIgnoreCase(method) && !(arguments.get("AlarmTemplate") instanceof CimInstance)) {
            return MethodResult.of(INVALID_PARAMETER);   // text where the embedded instance belongs
        }
        return super.invokeMethod(ctx, target, method, arguments);
    }

    @Override
    protected MethodResult AddAlarm(RequestContext ctx, CimObjectPath target, CimInstance template,
                                    CimObjectPath ignored) throws CimException {
        Machines.require(hypervisor, ctx);
        String id = text(template.get("InstanceID"));
        Optional<Long> start = CimTimes.startSeconds(template.get("StartTime"));
        Optional<Long> interval = CimTimes.intervalMinutes(template.get("Interval"));
        Optional<Boolean> doc = bool(template.get("DeleteOnCompletion"));
        String name = text(template.get("ElementName"));
        String problem = !IPS_AlarmClockOccurrence.CLASS_NAME.equalsIgnoreCase(template.className())
                ? "the template is a " + template.className()
                : id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH ? "InstanceID must have 1 to " + MAX_ID_LENGTH + " characters"
                : start.isEmpty() ? "StartTime is not a date and time"
                : interval.isEmpty() ? "Interval is not a duration of whole minutes"
                : doc.isEmpty() ? "DeleteOnCompletion is not a boolean"
                : name != null && name.length() > MAX_ID_LENGTH ? "ElementName is too long" : null;
        if (problem != null) {
            LOG.info("VM {} ({}): AddAlarm by {} refused: {}", ctx.machineName(), ctx.machineId(), ctx.user(), problem);
            return MethodResult.of(INVALID_PARAMETER);
        }
        try {
            long now = alarms.firmwareNow(ctx.machineId());
            if (start.get() <= now) {
                LOG.info("VM {} ({}): AddAlarm {} by {} refused: StartTime is not in the future", ctx.machineName(),
                        ctx.machineId(), id, ctx.user());
                return MethodResult.of(INVALID_PARAMETER);
            }
            Alarm alarm = new Alarm(id, name == null || name.isEmpty() ? id : name, start.get(), interval.get(),
                    doc.get(), false);
            alarms.add(ctx.machineId(), alarm);
            LOG.info("VM {} ({}): alarm {} added by {}: {}{}", ctx.machineName(), ctx.machineId(), id, ctx.user(),
                    CimTimes.start(start.get()).text(), interval.get() > 0 ? ", every " + interval.get() + " min" : "");
            return new MethodResult(SUCCESS, Map.of("AlarmClock",
                    new CimObjectPath(IPS_AlarmClockOccurrence.CLASS_NAME, Map.of("InstanceID", id))));
        } catch (AlarmClock.Refused r) {
            LOG.info("VM {} ({}): AddAlarm {} by {} refused: {}", ctx.machineName(), ctx.machineId(), id, ctx.user(),
                    r.getMessage());
            return MethodResult.of(r.status);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    private static String text(Object v) {
        return v == null ? null : v.toString().trim();
    }

    private static Optional<Boolean> bool(Object v) {
        if (v == null) {
            return Optional.of(false);
        }
        return switch (v.toString().trim()) {
            case "true", "1" -> Optional.of(true);
            case "false", "0" -> Optional.of(false);
            default -> Optional.empty();
        };
    }
}
