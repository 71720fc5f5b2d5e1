package org.vamt.shell.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;

/**
 * A VM's alarm clock (the alarms that power it on), through the same CIM classes and methods
 * consoles use (IPS_AlarmClockOccurrence, AMT_AlarmClockService.AddAlarm, Delete), so the shell
 * gets the alarm provider's rules and return codes. Times are on the VM's AMT clock, as consoles
 * see it: a relative start ({@code +90s}, {@code +10m}, {@code +2h}) counts from that clock.
 */
@Command(scope = "vamt", name = "alarm", description = "Lists, adds or deletes the alarms that power a VM on")
@Service
public class Alarm extends VamtCommand {
    static final String OCCURRENCE = "IPS_AlarmClockOccurrence";
    private static final Pattern RELATIVE = Pattern.compile("\\+(\\d{1,7})([smh])");
    private static final Map<Long, String> CODES = Map.of(
            36L, "invalid parameter: an id of 1 to 32 characters and a start in the future are needed",
            2058L, "an alarm with that id exists already",
            23L, "the VM has the most alarms AMT keeps (5)");

    @Reference
    Hypervisor hypervisor;

    @Reference
    CimObjectManager cimom;

    @Reference
    Session session;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "action", description = "list (default), add or delete")
    @Completion(value = StringsCompleter.class, values = {"list", "add", "delete"})
    String action = "list";

    @Argument(index = 2, name = "id", description = "the alarm's InstanceID (add, delete)")
    String id;

    @Argument(index = 3, name = "start", description = "add: when, on the VM's AMT clock: an ISO-8601 instant"
            + " (2026-12-24T06:30:00Z) or from now: +90s, +10m, +2h")
    String start;

    @Option(name = "-i", aliases = "--interval", description = "add: repeat every this many minutes (0: once)")
    long intervalMinutes;

    @Option(name = "-d", aliases = "--delete-on-completion", description = "add: delete the alarm once it has fired")
    boolean deleteOnCompletion;

    @Override
    protected Object run() throws Exception {
        MachineInfo m = Vms.find(hypervisor, vm);
        RequestContext ctx = RequestContext.operator(m.uuid(), m.name(), "shell:" + session.get("USER"), "");
        switch (action) {
            case "list" -> list(m, ctx);
            case "add" -> add(m, ctx);
            case "delete" -> delete(m, ctx);
            default -> throw new IllegalArgumentException("unknown action '" + action + "'; use list, add or delete");
        }
        return null;
    }

    private void list(MachineInfo m, RequestContext ctx) throws CimException {
        List<CimInstance> alarms = cimom.enumerateInstances(ctx, OCCURRENCE).stream()
                .sorted(Comparator.comparing(a -> String.valueOf(a.get("InstanceID")))).toList();
        if (alarms.isEmpty()) {
            System.out.println("VM " + m.name() + " has no alarm");
            return;
        }
        System.out.println("Alarms of " + m.name() + " (times on its AMT clock):");
        for (CimInstance a : alarms) {
            Object interval = a.get("Interval");
            System.out.println("  " + a.get("InstanceID") + "  next " + text(a.get("StartTime"))
                    + (interval == null ? "  once" : "  every " + text(interval))
                    + (Boolean.TRUE.equals(a.get("DeleteOnCompletion")) ? "  deleted when done" : ""));
        }
    }

    private void add(MachineInfo m, RequestContext ctx) throws CimException {
        if (id == null || start == null) {
            throw new IllegalArgumentException("usage: vamt:alarm <vm> add <id> <start> [-i minutes] [-d]");
        }
        if (intervalMinutes < 0) {
            throw new IllegalArgumentException("the interval is a number of minutes, 0 or more");
        }
        Instant when = startTime(ctx);
        CimInstance.Builder template = CimInstance.builder(OCCURRENCE)
                .key("InstanceID", id)
                .property("ElementName", id)
                .property("StartTime", CimDateTime.of(when))
                .property("DeleteOnCompletion", deleteOnCompletion);
        if (intervalMinutes > 0) {
            template.property("Interval", CimDateTime.interval("P" + intervalMinutes / 1440 + "DT"
                    + intervalMinutes % 1440 / 60 + "H" + intervalMinutes % 60 + "M"));
        }
        MethodResult r = cimom.invokeMethod(ctx, CimObjectPath.of("AMT_AlarmClockService"), "AddAlarm",
                Map.of("AlarmTemplate", template.build()));
        if (r.returnValue() != 0) {
            throw new IllegalStateException("VM " + m.name() + " refused alarm '" + id + "': AMT return code "
                    + r.returnValue() + " (" + CODES.getOrDefault(r.returnValue(), "see the alarm provider") + ")");
        }
        System.out.println("VM " + m.name() + ": alarm " + id + " added for " + when
                + (intervalMinutes > 0 ? ", every " + intervalMinutes + " min" : ""));
    }

    private void delete(MachineInfo m, RequestContext ctx) throws CimException {
        if (id == null) {
            throw new IllegalArgumentException("usage: vamt:alarm <vm> delete <id>");
        }
        try {
            cimom.deleteInstance(ctx, new CimObjectPath(OCCURRENCE, Map.of("InstanceID", id)));
        } catch (CimException e) {
            if (e.status() == CimStatus.NOT_FOUND) {
                throw new IllegalArgumentException("VM " + m.name() + " has no alarm '" + id + "'");
            }
            throw e;
        }
        System.out.println("VM " + m.name() + ": alarm " + id + " deleted");
    }

    /** The start as an instant on the VM's AMT clock (relative starts count from that clock's now). */
    private Instant startTime(RequestContext ctx) throws CimException {
        Matcher rel = RELATIVE.matcher(start);
        if (rel.matches()) {
            long n = Long.parseLong(rel.group(1));
            long seconds = switch (rel.group(2)) {
                case "h" -> n * 3600;
                case "m" -> n * 60;
                default -> n;
            };
            MethodResult now = cimom.invokeMethod(ctx, CimObjectPath.of("AMT_TimeSynchronizationService"),
                    "GetLowAccuracyTimeSynch", Map.of());
            long amtNow = Long.parseLong(String.valueOf(now.outputs().get("Ta0")));
            return Instant.ofEpochSecond(amtNow + seconds);
        }
        try {
            return Instant.parse(start);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("start '" + start + "' is neither an ISO-8601 instant"
                    + " (2026-12-24T06:30:00Z) nor +<n>s, +<n>m or +<n>h");
        }
    }

    private static String text(Object v) {
        return v instanceof CimDateTime d ? d.text() : String.valueOf(v);
    }
}
