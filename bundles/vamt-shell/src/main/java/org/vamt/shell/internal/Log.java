package org.vamt.shell.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;

/** A VM's AMT event log and audit log, read through the same CIM methods consoles use. */
@Command(scope = "vamt", name = "log", description = "Shows a VM's event log (power, lifecycle) and audit log (who did what)")
@Service
public class Log extends VamtCommand {
    private static final Map<Integer, String> AUDIT_EVENTS = Map.ofEntries(
            Map.entry(1602, "ACL entry added"), Map.entry(1603, "ACL entry modified"),
            Map.entry(1604, "ACL entry removed"), Map.entry(1605, "access with invalid credentials"),
            Map.entry(1606, "ACL entry state"), Map.entry(1607, "TLS state changed"),
            Map.entry(1608, "TLS certificate set"), Map.entry(1609, "TLS certificate removed"),
            Map.entry(1610, "trusted root added"), Map.entry(1616, "configuration changed"),
            Map.entry(1700, "power up"), Map.entry(1701, "power down"), Map.entry(1702, "power cycle"),
            Map.entry(1703, "reset"), Map.entry(1704, "boot options set"), Map.entry(1806, "SOL enabled"),
            Map.entry(1807, "SOL disabled"), Map.entry(1810, "KVM enabled"), Map.entry(1811, "KVM disabled"),
            Map.entry(2000, "audit log cleared"), Map.entry(2100, "clock set"), Map.entry(2200, "network settings set"),
            Map.entry(2201, "host name set"), Map.entry(2402, "event log cleared"), Map.entry(2403, "event log frozen"),
            Map.entry(2500, "System Defense filter added"), Map.entry(2501, "System Defense filter removed"),
            Map.entry(2502, "System Defense policy added"), Map.entry(2503, "System Defense policy removed"),
            Map.entry(2504, "System Defense policy activation changed"), Map.entry(2902, "KVM password changed"),
            Map.entry(3000, "opt-in policy changed"), Map.entry(3001, "consent code sent"));

    @Reference
    org.apache.karaf.shell.api.console.Session session;

    @Reference
    Hypervisor hypervisor;

    @Reference
    CimObjectManager cimom;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        MachineInfo m = Vms.find(hypervisor, vm);
        RequestContext ctx = RequestContext.operator(m.uuid(), m.name(), "shell:" + session.get("USER"), "");
        System.out.println("Event log of " + m.name() + ":");
        printEvents(ctx);
        System.out.println("Audit log of " + m.name() + ":");
        printAudit(ctx);
        return null;
    }

    @SuppressWarnings("unchecked")
    private void printEvents(RequestContext ctx) throws CimException {
        CimObjectPath log = CimObjectPath.of("AMT_MessageLog");
        long next = 1;
        while (true) {
            MethodResult r = cimom.invokeMethod(ctx, log, "GetRecords", Map.of("IterationIdentifier",
                    Long.toString(next), "MaxReadRecords", "390"));
            Object records = r.outputs().get("RecordArray");
            List<Object> list = records == null ? List.of() : records instanceof List<?> l ? (List<Object>) l
                    : List.of(records);
            for (Object o : list) {
                byte[] b = Base64.getDecoder().decode(o.toString());
                long t = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
                System.out.printf("  %s  sensor type %d, offset %d, severity %d, data %s%n", Instant.ofEpochSecond(t),
                        b[5] & 0xFF, b[7] & 0xFF, b[9] & 0xFF, hex(b, 13, 8));
            }
            if (r.returnValue() != 0 || list.isEmpty() || Boolean.TRUE.equals(r.outputs().get("NoMoreRecords"))
                    || "true".equals(String.valueOf(r.outputs().get("NoMoreRecords")))) {
                return;
            }
            next = Long.parseLong(String.valueOf(r.outputs().get("IterationIdentifier")));
        }
    }

    @SuppressWarnings("unchecked")
    private void printAudit(RequestContext ctx) throws CimException {
        CimObjectPath log = CimObjectPath.of("AMT_AuditLog");
        long start = 1;
        while (true) {
            MethodResult r = cimom.invokeMethod(ctx, log, "ReadRecords", Map.of("StartIndex", Long.toString(start)));
            Object records = r.outputs().get("EventRecords");
            List<Object> list = records == null ? List.of() : records instanceof List<?> l ? (List<Object>) l
                    : List.of(records);
            for (Object o : list) {
                System.out.println("  " + describeAudit(Base64.getDecoder().decode(o.toString())));
            }
            start += list.size();
            long total = Long.parseLong(String.valueOf(r.outputs().getOrDefault("TotalRecordCount", "0")));
            if (r.returnValue() != 0 || list.isEmpty() || start > total) {
                return;
            }
        }
    }

    static String describeAudit(byte[] b) {
        int app = (b[0] & 0xFF) << 8 | (b[1] & 0xFF);
        int event = (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
        int at = 4;
        String who = "local";
        if (b[at] == 0) {
            int len = b[at + 1] & 0xFF;
            who = new String(b, at + 2, len, StandardCharsets.UTF_8);
            at += 2 + len;
        } else {
            at += 1;
        }
        long t = (b[at] & 0xFFL) << 24 | (b[at + 1] & 0xFFL) << 16 | (b[at + 2] & 0xFFL) << 8 | (b[at + 3] & 0xFFL);
        at += 5;
        int alen = b[at] & 0xFF;
        String from = new String(b, at + 1, alen, StandardCharsets.US_ASCII);
        String what = AUDIT_EVENTS.getOrDefault(app * 100 + event, "event " + app + "/" + event);
        return Instant.ofEpochSecond(t) + "  " + what + "  by " + (who.isEmpty() ? "-" : who)
                + (from.isEmpty() ? "" : " from " + from);
    }

    private static String hex(byte[] b, int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + n && i < b.length; i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.toString();
    }
}
