package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/** What the log writes, the shell and the web UI read back (vamt-security's AuditRecords). */
class AuditRecordTest {
    @Test
    void aRecordReadsBackAsItWasWritten() {
        AuditEvent e = new AuditEvent("vm", 17, 1, "alice", "127.0.0.9", new byte[] {7, 8},
                Instant.ofEpochSecond(1_700_000_000L));
        AuditEvent back = AuditRecords.decode("vm", AuditRecord.encode(e));
        assertEquals(17, back.appId());
        assertEquals(1, back.eventId());
        assertEquals("alice", back.initiator());
        assertEquals("127.0.0.9", back.address());
        assertEquals(e.time(), back.time());
        assertArrayEquals(new byte[] {7, 8}, back.extendedData());
        assertEquals("power down", AuditRecords.eventName(back.appId(), back.eventId()));
    }

    @Test
    void aTruncatedRecordIsRefusedNotMisread() {
        byte[] whole = AuditRecord.encode(new AuditEvent("vm", 17, 0, "bob", "", null, Instant.now()));
        assertThrows(IllegalArgumentException.class,
                () -> AuditRecords.decode("vm", java.util.Arrays.copyOf(whole, 8)));
    }
}
