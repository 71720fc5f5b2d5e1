package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.security.AuditEvent;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** The audit log against the real libvirt test driver, with its files in a temporary directory. */
class AuditLogProviderTest {
    @TempDir
    Path data;
    private DemoHypervisor demo;
    private final CimObjectPath log = CimObjectPath.of("AMT_AuditLog");

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private AuditLogProvider provider() {
        return new AuditLogProvider(demo.hypervisor(), data);
    }

    private static AuditEvent event(String vm, int app, int id, String user, long time) {
        return new AuditEvent(vm, app, id, user, "192.0.2.7", new byte[] {0, 3, 'b', 'o', 'b'},
                Instant.ofEpochSecond(time));
    }

    @SuppressWarnings("unchecked")
    private static List<String> records(MethodResult r) {
        Object v = r.outputs().get("EventRecords");
        return v == null ? List.of() : (List<String>) v;
    }

    @Test
    void recordsAreEncodedAsMeshCommanderDecodesThem() throws Exception {
        AuditLogProvider p = provider();
        p.record(event(DESKTOP_01, 17, 3, "admin", 1_800_000_000L));
        MethodResult r = p.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 1L));
        assertEquals(0, r.returnValue());
        assertEquals(1L, r.outputs().get("TotalRecordCount"));
        byte[] b = Base64.getDecoder().decode(records(r).get(0));
        assertEquals(17, ((b[0] & 0xFF) << 8) | (b[1] & 0xFF), "AuditAppID big-endian");
        assertEquals(3, ((b[2] & 0xFF) << 8) | (b[3] & 0xFF), "EventID");
        assertEquals(0, b[4], "initiator: Digest user");
        assertEquals("admin", new String(b, 6, b[5], StandardCharsets.UTF_8));
        int at = 6 + b[5];
        long t = ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFFL) << 16) | ((b[at + 2] & 0xFFL) << 8) | (b[at + 3] & 0xFFL);
        assertEquals(1_800_000_000L, t);
        assertEquals(0, b[at + 4], "IPv4 location");
        assertEquals("192.0.2.7", new String(b, at + 6, b[at + 5], StandardCharsets.US_ASCII));
        int ex = at + 6 + b[at + 5];
        assertEquals(5, b[ex]);
        assertEquals("bob", new String(b, ex + 3, 3, StandardCharsets.UTF_8));
    }

    @Test
    void readsGoTenAtATimeAndPersistAcrossRestartsPerVm() throws Exception {
        AuditLogProvider p = provider();
        for (int i = 0; i < 25; i++) {
            p.record(event(DESKTOP_01, 17, i % 4, "admin", 1_800_000_000L + i));
        }
        p.record(event(KIOSK, 16, 5, "mallory", 1_800_000_100L));
        AuditLogProvider restarted = provider();
        MethodResult first = restarted.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 1L));
        assertEquals(25L, first.outputs().get("TotalRecordCount"));
        assertEquals(10L, first.outputs().get("RecordsReturned"));
        MethodResult last = restarted.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 21L));
        assertEquals(5, records(last).size());
        assertEquals(35L, restarted.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 26L))
                .returnValue(), "past the end: PT_STATUS_INVALID_INDEX");
        assertEquals(1L, restarted.invokeMethod(vm(KIOSK), log, "ReadRecords", Map.of("StartIndex", 1L))
                .outputs().get("TotalRecordCount"), "each VM has its own log");
        CimInstance info = restarted.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0);
        assertEquals(25L, ((Number) info.get("CurrentNumberOfRecords")).longValue());
    }

    @Test
    void theLogIsBoundedAndKeepsTheNewestRecords() throws Exception {
        AuditLogProvider p = provider();
        int total = AuditLogProvider.MAX_RECORDS * 2 + 7;
        for (int i = 0; i < total; i++) {
            p.record(event(DESKTOP_01, 17, 0, "admin", 1_000 + i));
        }
        AuditLogProvider restarted = provider();
        MethodResult r = restarted.invokeMethod(vm(DESKTOP_01), log, "ReadRecords",
                Map.of("StartIndex", (long) AuditLogProvider.MAX_RECORDS));
        assertEquals((long) AuditLogProvider.MAX_RECORDS, r.outputs().get("TotalRecordCount"));
        assertEquals(1_000 + total - 1, AuditRecord.time(Base64.getDecoder().decode(records(r).get(0))),
                "the newest record is the last one");
        long lines = Files.readAllLines(data.resolve(DESKTOP_01.toLowerCase() + ".audit")).size();
        assertFalse(lines > 2L * AuditLogProvider.MAX_RECORDS, "the file is compacted: " + lines + " lines");
    }

    @Test
    void clearLogEmptiesOnlyThatVm() throws Exception {
        AuditLogProvider p = provider();
        p.record(event(DESKTOP_01, 17, 0, "admin", 1_000));
        p.record(event(KIOSK, 17, 0, "admin", 1_000));
        assertEquals(0, p.invokeMethod(vm(DESKTOP_01), log, "ClearLog", Map.of()).returnValue());
        assertEquals(0L, provider().invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 1L))
                .outputs().get("TotalRecordCount"));
        assertEquals(1L, provider().invokeMethod(vm(KIOSK), log, "ReadRecords", Map.of("StartIndex", 1L))
                .outputs().get("TotalRecordCount"));
    }
}
