package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
        assertEquals("Intel(r) AMT:Audit Log", info.get("Name"));
        assertEquals("Intel(r) AMT Audit Log", info.get("ElementName"), "AMT spells the ElementName without the colon");
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

    // ---- audit-log policy (issue 17): storage policy, audit policy rule, lock; all kept with the VM

    private final CimObjectPath rule = CimObjectPath.of("AMT_AuditPolicyRule");

    private long call(AuditLogProvider p, String method, Map<String, Object> args) throws Exception {
        return p.invokeMethod(vm(DESKTOP_01), log, method, args).returnValue();
    }

    private long total(AuditLogProvider p) throws Exception {
        return (Long) p.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 1L)).outputs()
                .get("TotalRecordCount");
    }

    private long newest(AuditLogProvider p) throws Exception {
        long n = total(p);
        List<String> r = records(p.invokeMethod(vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", n)));
        return AuditRecord.time(Base64.getDecoder().decode(r.get(r.size() - 1)));
    }

    @Test
    void noRollOverRefusesNewRecordsWhenFullAndKeepsTheLastFifteenPercentForCriticalEvents() throws Exception {
        AuditLogProvider p = provider();
        AuditPolicyRuleProvider rules = new AuditPolicyRuleProvider(demo.hypervisor());
        assertEquals(0, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 0L)));
        assertEquals(0, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicy", Map.of("Enable", true,
                "AuditedAppID", 17L, "EventID", 0L, "PolicyType", 1L)).returnValue(), "power up is critical");
        long now = Instant.now().getEpochSecond();
        int almostFull = AuditLogProvider.MAX_RECORDS * 85 / 100;
        for (int i = 0; i < AuditLogProvider.MAX_RECORDS; i++) {
            p.record(event(DESKTOP_01, 17, 3, "admin", now - 5_000 + i));
        }
        assertEquals(almostFull, total(p), "past 85% only critical events are taken");
        for (int i = 0; i < AuditLogProvider.MAX_RECORDS; i++) {
            p.record(event(DESKTOP_01, 17, 0, "admin", now - 2_000 + i));
        }
        assertEquals(AuditLogProvider.MAX_RECORDS, total(p));
        long last = newest(p);
        p.record(event(DESKTOP_01, 20, 0, "admin", now));
        AuditLogProvider restarted = provider();
        assertEquals(AuditLogProvider.MAX_RECORDS, total(restarted));
        assertEquals(last, newest(restarted), "a full log without roll-over refuses new records, keeps the old");
        assertEquals(now - 5_000, AuditRecord.time(Base64.getDecoder().decode(records(restarted.invokeMethod(
                vm(DESKTOP_01), log, "ReadRecords", Map.of("StartIndex", 1L))).get(0))), "the oldest is still there");
        CimInstance info = restarted.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0);
        assertEquals(0L, ((Number) info.get("StoragePolicy")).longValue());
        assertEquals(7L, ((Number) info.get("OverwritePolicy")).longValue(), "never overwrites");
    }

    @Test
    void restrictedRollOverOverwritesOnlyRecordsOlderThanMinDaysToKeep() throws Exception {
        AuditLogProvider p = provider();
        assertEquals(36, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 2L)), "days are required");
        assertEquals(36, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 3L, "DaysToKeep", 7L)));
        assertEquals(0, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 2L, "DaysToKeep", 7L)));
        long now = Instant.now().getEpochSecond();
        long day = 86_400;
        int old = 300;
        for (int i = 0; i < AuditLogProvider.MAX_RECORDS; i++) {
            p.record(event(DESKTOP_01, 17, 3, "admin", i < old ? now - 30 * day + i : now - day + i));
        }
        for (int i = 0; i < 2 * old; i++) {
            p.record(event(DESKTOP_01, 16, 5, "ghost", now + i));
        }
        AuditLogProvider restarted = provider();
        assertEquals(AuditLogProvider.MAX_RECORDS, total(restarted));
        long oldest = AuditRecord.time(Base64.getDecoder().decode(records(restarted.invokeMethod(vm(DESKTOP_01), log,
                "ReadRecords", Map.of("StartIndex", 1L))).get(0)));
        assertEquals(now - day + old, oldest, "the 30-day-old records made room; the 1-day-old ones stay");
        assertEquals(now + old - 1, newest(restarted), "once only young records are left, new ones are refused");
        CimInstance info = restarted.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0);
        assertEquals(2L, ((Number) info.get("StoragePolicy")).longValue());
        assertEquals(7L, ((Number) info.get("MinDaysToKeep")).longValue());
    }

    @Test
    @SuppressWarnings("unchecked")
    void eventsTheAuditPolicyDisablesAreNotRecordedAndTheLogsOwnEventsAlwaysAre() throws Exception {
        AuditLogProvider p = provider();
        AuditPolicyRuleProvider rules = new AuditPolicyRuleProvider(demo.hypervisor());
        long powerUp = (17L << 16);
        List<Long> before = (List<Long>) rules.enumerateInstances(vm(DESKTOP_01), "AMT_AuditPolicyRule").get(0)
                .get("AuditApplicationEventID");
        assertTrue(before.contains(powerUp));
        assertEquals(36, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicy", Map.of("Enable", false,
                "AuditedAppID", 20L, "EventID", 0L)).returnValue(), "audit-log events cannot be disabled");
        assertEquals(36, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicyBulk", Map.of(
                "Enable", List.of(false, false), "AuditedAppID", List.of(17L, 20L), "EventID", List.of(0L, 0L),
                "PolicyType", List.of(0L, 0L))).returnValue());
        assertTrue(((List<Long>) rules.enumerateInstances(vm(DESKTOP_01), "AMT_AuditPolicyRule").get(0)
                .get("AuditApplicationEventID")).contains(powerUp), "a refused bulk request changes nothing");
        assertEquals(0, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicyBulk", Map.of(
                "Enable", List.of(false, true), "AuditedAppID", List.of(17L, 17L), "EventID", List.of(0L, 3L),
                "PolicyType", List.of(0L, 1L))).returnValue());
        p.record(event(DESKTOP_01, 17, 0, "admin", 1_000));
        p.record(event(DESKTOP_01, 17, 3, "admin", 1_001));
        p.record(event(DESKTOP_01, 20, 0, "admin", 1_002));
        p.record(event(KIOSK, 17, 0, "admin", 1_003));
        assertEquals(2, total(p), "power up is no longer audited on this VM");
        assertEquals(1L, p.invokeMethod(vm(KIOSK), log, "ReadRecords", Map.of("StartIndex", 1L)).outputs()
                .get("TotalRecordCount"), "the policy is per VM");
        CimInstance after = new AuditPolicyRuleProvider(demo.hypervisor())
                .enumerateInstances(vm(DESKTOP_01), "AMT_AuditPolicyRule").get(0);
        List<Long> events = (List<Long>) after.get("AuditApplicationEventID");
        List<Long> types = (List<Long>) after.get("PolicyType");
        assertFalse(events.contains(powerUp), "the policy survives a restart");
        assertEquals(1L, types.get(events.indexOf((17L << 16) | 3)), "reset is critical");
    }

    @Test
    void whileAnAuditorHoldsTheLockNothingIsWrittenAndOnlyItsHandleUnlocks() throws Exception {
        AuditLogProvider p = provider();
        assertEquals(36, call(p, "SetAuditLock", Map.of("Flag", 0L, "LockTimeoutInSeconds", 301L)));
        MethodResult locked = p.invokeMethod(vm(DESKTOP_01), log, "SetAuditLock",
                Map.of("Flag", 0L, "LockTimeoutInSeconds", 60L));
        assertEquals(0, locked.returnValue());
        long handle = (Long) locked.outputs().get("Handle");
        p.record(event(DESKTOP_01, 17, 0, "admin", 1_000));
        AuditLogProvider restarted = provider();
        assertEquals(0, total(restarted), "locked: not recorded");
        assertEquals(32L, ((Number) restarted.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0)
                .get("AuditState")).longValue(), "the lock survives a restart");
        assertEquals(16, call(restarted, "SetAuditLock", Map.of("Flag", 0L, "LockTimeoutInSeconds", 60L)),
                "another auditor cannot take the lock");
        assertEquals(2053, call(restarted, "SetAuditLock", Map.of("Flag", 2L, "Handle", handle + 1)));
        assertEquals(0, call(restarted, "SetAuditLock", Map.of("Flag", 2L, "Handle", handle)));
        restarted.record(event(DESKTOP_01, 17, 0, "admin", 1_001));
        assertEquals(1, total(restarted));
        assertEquals(16L, ((Number) restarted.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0)
                .get("AuditState")).longValue());
    }

    @Test
    void aLockLapsesAfterItsTimeout() throws Exception {
        AuditLogProvider p = provider();
        assertEquals(0, call(p, "SetAuditLock", Map.of("Flag", 0L, "LockTimeoutInSeconds", 1L)));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (((Number) p.enumerateInstances(vm(DESKTOP_01), "AMT_AuditLog").get(0).get("AuditState")).longValue()
                == 32 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        p.record(event(DESKTOP_01, 17, 0, "admin", 1_000));
        assertEquals(1, total(p), "the lapsed lock no longer holds records back");
    }

    @Test
    void aCriticalOperationIsAllowedOnlyWhileItsRecordCanBeWrittenAndTheLogsOwnEventsAreNeverCritical()
            throws Exception {
        AuditLogProvider p = provider();
        AuditPolicyRuleProvider rules = new AuditPolicyRuleProvider(demo.hypervisor());
        assertEquals(36, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicy", Map.of("Enable", true,
                "AuditedAppID", 20L, "EventID", 1L, "PolicyType", 1L)).returnValue(),
                "the audit log's own events cannot be critical (an auditor could not recover the log)");
        assertEquals(0, rules.invokeMethod(vm(DESKTOP_01), rule, "SetAuditPolicy", Map.of("Enable", true,
                "AuditedAppID", 17L, "EventID", 0L, "PolicyType", 1L)).returnValue());
        assertEquals(0, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 2L, "DaysToKeep", 7L)));
        long now = Instant.now().getEpochSecond();
        for (int i = 0; i < AuditLogProvider.MAX_RECORDS - 1; i++) {
            p.record(event(DESKTOP_01, 17, 3, "admin", now - 86_400 + i));
        }
        assertTrue(p.allows(DESKTOP_01, 17, 0), "one record still fits");
        p.record(event(DESKTOP_01, 17, 3, "admin", now));
        assertFalse(p.allows(DESKTOP_01, 17, 0), "restricted roll-over, only day-old records: no room");
        assertTrue(p.allows(DESKTOP_01, 17, 3), "not critical: the operation runs, only its record is refused");
        assertTrue(p.allows(DESKTOP_01, 20, 0), "clearing the log is never refused");
        assertTrue(p.allows(KIOSK, 17, 0), "the policy and the log are per VM");
        assertFalse(provider().allows(DESKTOP_01, 17, 0), "the same after a restart");
        assertEquals(0, call(p, "SetStoragePolicy", Map.of("StoragePolicy", 1L)));
        assertTrue(p.allows(DESKTOP_01, 17, 0), "roll-over makes room");
    }
}
