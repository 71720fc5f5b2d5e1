package org.vamt.webui.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/**
 * The VM's event log (AMT_MessageLog.GetRecords) and audit log (AMT_AuditLog.ReadRecords), read
 * the way consoles read them, newest first.
 */
final class Logs {
    /** AMT keeps at most 390 event records; the audit log is read in AMT's pages of 10 up to this many. */
    static final int MAX_RECORDS = 390;

    private Logs() {
    }

    /** One event log record, as its 21 bytes say (layout: vamt-provider-logs' EventRecord). */
    record Event(Instant time, int sensorType, int offset, int severity, int entity) {
        static Event of(byte[] b) {
            if (b.length < 13) {
                throw new IllegalArgumentException("an event record is 21 bytes, got " + b.length);
            }
            long t = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
            return new Event(Instant.ofEpochSecond(t), b[5] & 0xFF, b[7] & 0xFF, b[9] & 0xFF, b[11] & 0xFF);
        }

        /** The VM came to S0 (started, resumed): the start of its uptime. */
        boolean isPowerOn() {
            return sensorType == 0x22 && offset == 0x00;
        }

        String description() {
            if (sensorType == 0x22) {
                return switch (offset) {
                    case 0x00 -> "Power state: S0, working (powered on or resumed)";
                    case 0x03 -> "Power state: S3, sleeping";
                    case 0x05 -> "Power state: S5, soft off (powered off)";
                    case 0x08 -> "Power state: sleeping in S1-S3 (paused)";
                    default -> "Power state change, offset " + offset;
                };
            }
            if (sensorType == 0x20 && offset == 0x01) {
                return "Operating system: run-time critical stop (the guest crashed)";
            }
            return String.format("Sensor type 0x%02X, event offset 0x%02X", sensorType, offset);
        }

        String severityName() {
            return switch (severity) {
                case 0x01 -> "Monitor";
                case 0x02 -> "Information";
                case 0x04 -> "OK";
                case 0x08 -> "Non-critical";
                case 0x10 -> "Critical";
                case 0x20 -> "Non-recoverable";
                default -> "Unspecified";
            };
        }

        String entityName() {
            return switch (entity) {
                case 0x17 -> "System chassis";
                case 0x23 -> "Operating system";
                default -> String.format("Entity 0x%02X", entity);
            };
        }
    }

    /** The event log, newest first; empty when the user may not read it or it is not served. */
    static Optional<List<Event>> events(Reads r) throws CimException {
        CimObjectPath log = CimObjectPath.of("AMT_MessageLog");
        List<Event> out = new ArrayList<>();
        Object next = 1L;
        while (out.size() < MAX_RECORDS) {
            Optional<MethodResult> call = r.invoke(log, "GetRecords",
                    Map.of("IterationIdentifier", next, "MaxReadRecords", (long) MAX_RECORDS));
            if (call.isEmpty()) {
                return Optional.empty();
            }
            MethodResult res = call.get();
            List<Object> records = list(res.outputs().get("RecordArray"));
            for (Object o : records) {
                out.add(Event.of(Base64.getDecoder().decode(o.toString())));
            }
            if (res.returnValue() != 0 || records.isEmpty()
                    || "true".equalsIgnoreCase(String.valueOf(res.outputs().get("NoMoreRecords")))
                    || res.outputs().get("IterationIdentifier") == null) {
                break;
            }
            next = res.outputs().get("IterationIdentifier");
        }
        return Optional.of(newestFirst(out));
    }

    /** The audit log, newest first; empty when the user may not read it or it is not served. */
    static Optional<List<AuditEvent>> audit(Reads r) throws CimException {
        CimObjectPath log = CimObjectPath.of("AMT_AuditLog");
        String vm = r.context().machineId();
        List<AuditEvent> out = new ArrayList<>();
        long start = 1;
        while (out.size() < MAX_RECORDS) {
            Optional<MethodResult> call = r.invoke(log, "ReadRecords", Map.of("StartIndex", start));
            if (call.isEmpty()) {
                return Optional.empty();
            }
            MethodResult res = call.get();
            List<Object> records = list(res.outputs().get("EventRecords"));
            for (Object o : records) {
                out.add(AuditRecords.decode(vm, Base64.getDecoder().decode(o.toString())));
            }
            start += records.size();
            long total = Long.parseLong(String.valueOf(res.outputs().getOrDefault("TotalRecordCount", "0")));
            if (res.returnValue() != 0 || records.isEmpty() || start > total) {
                break;
            }
        }
        return Optional.of(newestFirst(out));
    }

    private static <T> List<T> newestFirst(List<T> oldestFirst) {
        List<T> l = new ArrayList<>(oldestFirst);
        java.util.Collections.reverse(l);
        return l;
    }

    private static List<Object> list(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        return List.of(value);
    }
}
