package org.vamt.provider.logs.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.vamt.security.AuditEvent;

/**
 * One AMT audit record, encoded as consoles decode it (MeshCommander's audit log view): all
 * numbers big-endian; AuditAppID (2), EventID (2), InitiatorType (1; 0 = Digest user, followed by
 * the name's length and the name), time in seconds (4), MCLocationType (1; 0 IPv4, 1 IPv6,
 * 2 none), NetAddress (length, text), ExtendedData (length, bytes).
 */
final class AuditRecord {
    private static final int MAX_FIELD = 255;

    private AuditRecord() {
    }

    static byte[] encode(AuditEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        short16(out, e.appId());
        short16(out, e.eventId());
        out.write(0);
        counted(out, (e.initiator() == null ? "" : e.initiator()).getBytes(StandardCharsets.UTF_8));
        long t = Math.max(1, Math.min(0xFFFFFFFEL, e.time().getEpochSecond()));
        out.write((int) (t >>> 24));
        out.write((int) (t >>> 16));
        out.write((int) (t >>> 8));
        out.write((int) t);
        String address = e.address();
        out.write(address.isEmpty() ? 2 : address.indexOf(':') >= 0 ? 1 : 0);
        counted(out, address.getBytes(StandardCharsets.US_ASCII));
        counted(out, e.extendedData());
        return out.toByteArray();
    }

    private static void short16(ByteArrayOutputStream out, int v) {
        out.write((v >>> 8) & 0xFF);
        out.write(v & 0xFF);
    }

    private static void counted(ByteArrayOutputStream out, byte[] bytes) {
        int n = Math.min(bytes.length, MAX_FIELD);
        out.write(n);
        out.write(bytes, 0, n);
    }

    /** The time field of an encoded record, in epoch seconds. */
    static long time(byte[] record) {
        int at = 5 + 1 + (record[5] & 0xFF);
        return ((record[at] & 0xFFL) << 24) | ((record[at + 1] & 0xFFL) << 16) | ((record[at + 2] & 0xFFL) << 8)
                | (record[at + 3] & 0xFFL);
    }
}
