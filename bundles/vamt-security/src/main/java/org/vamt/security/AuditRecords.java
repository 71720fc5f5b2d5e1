package org.vamt.security;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * AMT's audit records as AMT_AuditLog.ReadRecords returns them, read back for people (the shell's
 * {@code vamt:log}, the web UI's audit page): the layout MeshCommander decodes (big-endian
 * AuditAppID, EventID, initiator, time, network address, extended data) and AMT's event names.
 */
public final class AuditRecords {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1602, "ACL entry added"), Map.entry(1603, "ACL entry modified"),
            Map.entry(1604, "ACL entry removed"), Map.entry(1605, "access with invalid credentials"),
            Map.entry(1606, "ACL entry state"), Map.entry(1607, "TLS state changed"),
            Map.entry(1608, "TLS certificate set"), Map.entry(1609, "TLS certificate removed"),
            Map.entry(1610, "trusted root added"), Map.entry(1616, "configuration changed"),
            Map.entry(1700, "power up"), Map.entry(1701, "power down"), Map.entry(1702, "power cycle"),
            Map.entry(1703, "reset"), Map.entry(1704, "boot options set"), Map.entry(1806, "SOL enabled"),
            Map.entry(1807, "SOL disabled"), Map.entry(1810, "KVM enabled"), Map.entry(1811, "KVM disabled"),
            Map.entry(2000, "audit log cleared"), Map.entry(2100, "clock set"), Map.entry(2200, "network settings set"),
            Map.entry(2201, "host name set"),
            Map.entry(2400, "alert subscribed"), Map.entry(2401, "alert unsubscribed"), Map.entry(2402, "event log cleared"), Map.entry(2403, "event log frozen"),
            Map.entry(2500, "System Defense filter added"), Map.entry(2501, "System Defense filter removed"),
            Map.entry(2502, "System Defense policy added"), Map.entry(2503, "System Defense policy removed"),
            Map.entry(2504, "System Defense policy activation changed"), Map.entry(2902, "KVM password changed"),
            Map.entry(3000, "opt-in policy changed"), Map.entry(3001, "consent code sent"));

    private AuditRecords() {
    }

    /** AMT Security Admin's application ID and its ACL entry events. */
    public static final int APP_SECURITY_ADMIN = 16;
    public static final int EVENT_ACL_ENTRY_ADDED = 2;
    public static final int EVENT_ACL_ENTRY_MODIFIED = 3;
    public static final int EVENT_ACL_ENTRY_REMOVED = 4;

    /**
     * The extended data of "ACL entry added" ({@code modified} false) or "modified": the initiator
     * type 0 (Digest), the name's length (at most 32) and the name; "modified" puts a
     * parameters-modified byte first. As MeshCommander decodes them.
     */
    public static byte[] aclEntryData(String user, boolean modified) {
        byte[] name = (user == null ? "" : user).getBytes(StandardCharsets.UTF_8);
        int len = Math.min(name.length, 32);
        int at = modified ? 1 : 0;
        byte[] data = new byte[at + 2 + len];
        data[at + 1] = (byte) len;
        System.arraycopy(name, 0, data, at + 2, len);
        return data;
    }

    /** AMT's name of an audit event, e.g. "power down" for 17/1; "event 17/99" for one it has no name for. */
    public static String eventName(int appId, int eventId) {
        return NAMES.getOrDefault(appId * 100 + eventId, "event " + appId + "/" + eventId);
    }

    /**
     * One encoded record of VM {@code machineId}; the initiator is null unless it is a Digest user.
     *
     * @throws IllegalArgumentException when the bytes are not a whole record
     */
    public static AuditEvent decode(String machineId, byte[] b) {
        try {
            int app = (b[0] & 0xFF) << 8 | (b[1] & 0xFF);
            int event = (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
            int at = 4;
            String who = null;
            if (b[at] == 0) {
                int len = b[at + 1] & 0xFF;
                who = new String(b, at + 2, len, StandardCharsets.UTF_8);
                at += 2 + len;
            } else {
                at += 1;
            }
            long t = (b[at] & 0xFFL) << 24 | (b[at + 1] & 0xFFL) << 16 | (b[at + 2] & 0xFFL) << 8 | (b[at + 3] & 0xFFL);
            at += 5;   // the time, then the location type
            int alen = b[at] & 0xFF;
            String from = new String(b, at + 1, alen, StandardCharsets.US_ASCII);
            at += 1 + alen;
            byte[] extended = at < b.length ? Arrays.copyOfRange(b, at + 1, Math.min(b.length, at + 1 + (b[at] & 0xFF)))
                    : new byte[0];
            return new AuditEvent(machineId, app, event, who, from, extended, Instant.ofEpochSecond(t));
        } catch (IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("not a whole AMT audit record (" + b.length + " bytes)");
        }
    }
}
