package org.vamt.shell.internal;

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
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/** A VM's AMT event log and audit log, read through the same CIM methods consoles use. */
@Command(scope = "vamt", name = "log", description = "Shows a VM's event log (power, lifecycle) and audit log (who did what)")
@Service
public class Log extends VamtCommand {
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
        AuditEvent e = AuditRecords.decode("", b);
        String who = e.initiator() == null ? "local" : e.initiator();
        return e.time() + "  " + AuditRecords.eventName(e.appId(), e.eventId()) + "  by " + (who.isEmpty() ? "-" : who)
                + (e.address().isEmpty() ? "" : " from " + e.address());
    }

    private static String hex(byte[] b, int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + n && i < b.length; i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.toString();
    }
}
