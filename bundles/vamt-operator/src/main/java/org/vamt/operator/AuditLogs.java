package org.vamt.operator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/**
 * A VM's AMT audit log read through the same CIM method consoles use (AMT_AuditLog.ReadRecords,
 * ten records a call), its records in words ({@link AuditRecords}).
 */
public final class AuditLogs {
    private AuditLogs() {
    }

    /**
     * One audit record.
     *
     * @param time      when it happened (seconds)
     * @param what      the event in words ("power down"), or "event app/id" for one without a name
     * @param initiator the user, empty when not recorded; "local" for a local initiator
     * @param address   where the request came from, empty when not recorded
     */
    public record Entry(Instant time, int appId, int eventId, String what, String initiator, String address) {
        /** One line, as {@code vamt:log} prints it. */
        public String describe() {
            return time + "  " + what + "  by " + (initiator.isEmpty() ? "-" : initiator)
                    + (address.isEmpty() ? "" : " from " + address);
        }
    }

    /** One record as AMT_AuditLog.ReadRecords returns it, decoded by vAMT's one reader of the layout. */
    public static Entry decode(byte[] b) {
        AuditEvent e = AuditRecords.decode("", b);
        return new Entry(e.time(), e.appId(), e.eventId(), AuditRecords.eventName(e.appId(), e.eventId()),
                e.initiator() == null ? "local" : e.initiator(), e.address());
    }

    /** Every record of the VM in {@code ctx}, oldest first. */
    public static List<Entry> all(CimObjectManager cimom, RequestContext ctx) throws CimException {
        return from(cimom, ctx, 1, new ArrayList<>());
    }

    /** The VM's newest {@code n} records, oldest first: two or so calls, whatever the log's size. */
    public static List<Entry> newest(CimObjectManager cimom, RequestContext ctx, int n) throws CimException {
        List<Entry> first = new ArrayList<>();
        long total = read(cimom, ctx, 1, first);
        if (total <= first.size()) {
            return first.subList(Math.max(0, first.size() - n), first.size());
        }
        List<Entry> tail = from(cimom, ctx, Math.max(1, total - n + 1), new ArrayList<>());
        return tail.subList(Math.max(0, tail.size() - n), tail.size());
    }

    private static List<Entry> from(CimObjectManager cimom, RequestContext ctx, long start, List<Entry> into)
            throws CimException {
        long next = start;
        while (true) {
            int before = into.size();
            long total = read(cimom, ctx, next, into);
            next += into.size() - before;
            if (into.size() == before || next > total) {
                return into;
            }
        }
    }

    /** One ReadRecords call from {@code start}; adds its records to {@code into}, returns the log's record count. */
    @SuppressWarnings("unchecked")
    private static long read(CimObjectManager cimom, RequestContext ctx, long start, List<Entry> into)
            throws CimException {
        MethodResult r = cimom.invokeMethod(ctx, CimObjectPath.of("AMT_AuditLog"), "ReadRecords",
                Map.of("StartIndex", Long.toString(start)));
        if (r.returnValue() != 0) {
            return 0;
        }
        Object records = r.outputs().get("EventRecords");
        List<Object> list = records == null ? List.of() : records instanceof List<?> l ? (List<Object>) l
                : List.of(records);
        for (Object o : list) {
            into.add(decode(Base64.getDecoder().decode(o.toString())));
        }
        return Long.parseLong(String.valueOf(r.outputs().getOrDefault("TotalRecordCount", "0")));
    }
}
