package org.vamt.operator;

import java.nio.charset.StandardCharsets;
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

/**
 * A VM's AMT audit log read through the same CIM method consoles use (AMT_AuditLog.ReadRecords,
 * ten records a call), and its binary records in words.
 */
public final class AuditLogs {
    private static final Map<Integer, String> EVENTS = Map.ofEntries(
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

    /** Decodes one record as AMT_AuditLog.ReadRecords returns it (AMT's binary layout). */
    public static Entry decode(byte[] b) {
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
        return new Entry(Instant.ofEpochSecond(t), app, event, EVENTS.getOrDefault(app * 100 + event,
                "event " + app + "/" + event), who, from);
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
