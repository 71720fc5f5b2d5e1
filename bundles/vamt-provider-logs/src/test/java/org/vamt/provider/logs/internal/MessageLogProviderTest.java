package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_MessageLog;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.libvirt.internal.DemoHypervisor;

/** The AMT event log against the real libvirt test driver (records kept as typed per-VM state). */
class MessageLogProviderTest {
    private DemoHypervisor demo;
    private MessageLogProvider provider;
    private final CimObjectPath log = CimObjectPath.of("AMT_MessageLog");

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new MessageLogProvider(demo.hypervisor());
        demo.addMachineListener(provider);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    /** Reads the whole log the way MeshCommander does: PositionToFirstRecord, then GetRecords batches. */
    private static List<EventRecord> readAll(MessageLogProvider p, String uuid, long batch) throws Exception {
        MethodResult first = p.invokeMethod(vm(uuid), CimObjectPath.of("AMT_MessageLog"), "PositionToFirstRecord",
                Map.of());
        assertEquals(0, first.returnValue());
        long id = (Long) first.outputs().get("IterationIdentifier");
        assertEquals(1, id);
        List<EventRecord> all = new ArrayList<>();
        while (true) {
            MethodResult r = p.invokeMethod(vm(uuid), CimObjectPath.of("AMT_MessageLog"), "GetRecords",
                    Map.of("IterationIdentifier", id, "MaxReadRecords", batch));
            assertEquals(0, r.returnValue());
            @SuppressWarnings("unchecked")
            List<String> array = (List<String>) r.outputs().get("RecordArray");
            for (String s : array) {
                byte[] b = Base64.getDecoder().decode(s);
                assertEquals(EventRecord.SIZE, b.length);
                all.add(EventRecord.fromBytes(b, 0));
            }
            id = (Long) r.outputs().get("IterationIdentifier");
            if ((Boolean) r.outputs().get("NoMoreRecords")) {
                return all;
            }
        }
    }

    private List<EventRecord> awaitRecords(String uuid, int count) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<EventRecord> records = readAll(provider, uuid, 390);
        while (records.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
            records = readAll(provider, uuid, 390);
        }
        return records;
    }

    /** AMT's constants for its event log (issue 19), beside the record counts. */
    @Test
    void reportsAmtsLogConstants() throws Exception {
        org.vamt.cim.CimInstance log = instance(DESKTOP_01).toInstance();
        assertEquals(2L, log.get("EnabledDefault"));
        assertEquals(5L, log.get("HealthState"));
        assertEquals(List.of(2L), log.get("OperationalStatus"));
        assertEquals("OK", log.get("Status"));
        assertEquals(0L, log.get("LastChange"));
        assertEquals(0L, log.get("MaxLogSize"));
        assertEquals(100L, log.get("PercentageNearFull"));
        assertEquals(0L, log.get("SizeOfHeader"));
        assertEquals(0L, log.get("SizeOfRecordHeader"));
    }

    private AMT_MessageLog instance(String uuid) throws Exception {
        List<AMT_MessageLog> all = provider.enumerate(vm(uuid));
        assertEquals(1, all.size());
        return all.get(0);
    }

    @Test
    void powerOffThenOnIsLoggedAsTwoAcpiRecords() throws Exception {
        long before = Instant.now().getEpochSecond();
        assertTrue(readAll(provider, DESKTOP_01, 390).isEmpty(), "an empty log is valid");
        demo.hypervisor().powerOff(DESKTOP_01);
        demo.hypervisor().powerOn(DESKTOP_01);
        List<EventRecord> records = awaitRecords(DESKTOP_01, 2);
        long after = Instant.now().getEpochSecond();
        assertEquals(2, records.size(), records.toString());
        EventRecord off = records.get(0);
        EventRecord on = records.get(1);
        assertEquals(EventRecord.SENSOR_ACPI_POWER_STATE, off.sensorType());
        assertEquals(EventRecord.ACPI_S5_SOFT_OFF, off.offset());
        assertEquals(EventRecord.SENSOR_ACPI_POWER_STATE, on.sensorType());
        assertEquals(EventRecord.ACPI_S0_WORKING, on.offset());
        assertEquals(0x6F, on.eventType());
        for (EventRecord r : records) {
            assertTrue(r.timestamp() >= before && r.timestamp() <= after, "timestamp " + r.timestamp());
        }
        assertTrue(off.timestamp() <= on.timestamp());
        assertTrue(readAll(provider, KIOSK, 390).isEmpty(), "each VM has its own log");

        AMT_MessageLog i = instance(DESKTOP_01);
        assertEquals(2L, i.getCurrentNumberOfRecords());
        assertEquals(390L, i.getMaxNumberOfRecords());
        assertEquals(2L, i.getOverwritePolicy());
        assertEquals(2L, i.getEnabledState());
        assertEquals("Intel(r) AMT:MessageLog 1", i.getName());
        assertEquals("Intel(r) AMT:MessageLog 1", i.getElementName());
        assertEquals(AMT_MessageLog.CLASS_NAME, i.getCreationClassName());
        assertEquals(Boolean.FALSE, i.getIsFrozen());
    }

    @Test
    void batchesContinueWhereTheyStoppedAndBadIterationsAreInvalid() throws Exception {
        for (int k = 0; k < 5; k++) {
            provider.machineChanged(new MachineEvent(KIOSK, "kiosk", k % 2 == 0 ? MachineEvent.Type.STARTED
                    : MachineEvent.Type.SUSPENDED));
        }
        assertEquals(5, readAll(provider, KIOSK, 2).size());
        MethodResult r = provider.invokeMethod(vm(KIOSK), log, "GetRecords",
                Map.of("IterationIdentifier", 4L, "MaxReadRecords", 10L));
        assertEquals(2, ((List<?>) r.outputs().get("RecordArray")).size());
        assertEquals(6L, r.outputs().get("IterationIdentifier"));
        assertEquals(true, r.outputs().get("NoMoreRecords"));
        assertEquals(36, provider.invokeMethod(vm(KIOSK), log, "GetRecords",
                Map.of("IterationIdentifier", 0L, "MaxReadRecords", 10L)).returnValue());
        assertEquals(36, provider.invokeMethod(vm(KIOSK), log, "GetRecords",
                Map.of("IterationIdentifier", 7L, "MaxReadRecords", 10L)).returnValue());
    }

    @Test
    void theRingKeepsTheNewest390() throws Exception {
        AtomicLong seconds = new AtomicLong(1_800_000_000L);
        MessageLogProvider p = new MessageLogProvider(demo.hypervisor(), new Clock() {
            @Override public ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(ZoneId zone) { return this; }
            @Override public Instant instant() { return Instant.ofEpochSecond(seconds.getAndIncrement()); }
        });
        for (int k = 0; k < 400; k++) {
            p.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.STARTED));
        }
        List<EventRecord> records = readAll(p, KIOSK, 390);
        assertEquals(390, records.size());
        assertEquals(1_800_000_010L, records.get(0).timestamp(), "the 10 oldest were dropped");
        assertEquals(1_800_000_399L, records.get(389).timestamp(), "newest last");
    }

    @Test
    void anOldFormatLogIsMigratedWithItsFrozenFlagAndTheFirmwareClockStampsNewRecords() throws Exception {
        AtomicLong seconds = new AtomicLong(1_800_000_000L);
        MessageLogProvider p = new MessageLogProvider(demo.hypervisor(), new Clock() {
            @Override public ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(ZoneId zone) { return this; }
            @Override public Instant instant() { return Instant.ofEpochSecond(seconds.get()); }
        });
        EventRecord old = MessageLogProvider.toRecord(MachineEvent.Type.STARTED, 1_700_000_000L);
        demo.putLegacy(KIOSK, "log.messages", Base64.getEncoder().encodeToString(old.toBytes()));
        demo.putLegacy(KIOSK, "log.frozen", "true");
        demo.putLegacy(KIOSK, "time.offsetSeconds", "100");
        List<EventRecord> records = readAll(p, KIOSK, 390);
        assertEquals(1, records.size());
        assertEquals(1_700_000_000L, records.get(0).timestamp());
        p.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.CRASHED));
        assertEquals(1, readAll(p, KIOSK, 390).size(), "still frozen after the migration");
        assertEquals(0, p.invokeMethod(vm(KIOSK), log, "FreezeLog", Map.of("Freeze", false)).returnValue());
        p.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.CRASHED));
        records = readAll(p, KIOSK, 390);
        assertEquals(2, records.size());
        assertEquals(1_800_000_100L, records.get(1).timestamp(), "the time provider's migrated offset");
        String xml = demo.hypervisor().definitionXml(KIOSK);
        assertTrue(!xml.contains("log.messages") && !xml.contains("log.frozen") && !xml.contains("time.offsetSeconds"),
                xml);
    }

    @Test
    void clearLogEmptiesIt() throws Exception {
        provider.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.CRASHED));
        List<EventRecord> records = readAll(provider, KIOSK, 390);
        assertEquals(1, records.size());
        assertEquals(EventRecord.SENSOR_OS_CRITICAL_STOP, records.get(0).sensorType());
        assertEquals(0, provider.invokeMethod(vm(KIOSK), log, "ClearLog", Map.of()).returnValue());
        assertTrue(readAll(provider, KIOSK, 390).isEmpty());
        assertEquals(0L, instance(KIOSK).getCurrentNumberOfRecords());
    }

    @Test
    void aFrozenLogRecordsNothing() throws Exception {
        assertEquals(0, provider.invokeMethod(vm(KIOSK), log, "FreezeLog", Map.of("Freeze", true)).returnValue());
        assertEquals(Boolean.TRUE, instance(KIOSK).getIsFrozen());
        demo.hypervisor().powerOff(KIOSK);
        assertEquals(List.of(MachineEvent.Type.STOPPED), demo.awaitEvents(KIOSK, MachineEvent.Type.STOPPED));
        provider.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.STARTED));
        Thread.sleep(200);
        assertTrue(readAll(provider, KIOSK, 390).isEmpty());
        assertEquals(0, provider.invokeMethod(vm(KIOSK), log, "FreezeLog", Map.of("Freeze", false)).returnValue());
        assertEquals(Boolean.FALSE, instance(KIOSK).getIsFrozen());
        provider.machineChanged(new MachineEvent(KIOSK, "kiosk", MachineEvent.Type.STARTED));
        assertEquals(1, readAll(provider, KIOSK, 390).size());
    }

    @Test
    void theLogSurvivesANewProviderInstance() throws Exception {
        demo.hypervisor().powerOff(DESKTOP_01);
        assertEquals(1, awaitRecords(DESKTOP_01, 1).size());
        MessageLogProvider restarted = new MessageLogProvider(demo.hypervisor());
        List<EventRecord> records = readAll(restarted, DESKTOP_01, 390);
        assertEquals(1, records.size());
        assertTrue(records.get(0).isPowerOff());
    }

    @Test
    void recordLayoutIs21BytesLittleEndian() {
        EventRecord r = EventRecord.power(0x01020304L, EventRecord.ACPI_S5_SOFT_OFF);
        byte[] b = r.toBytes();
        assertEquals(21, b.length);
        assertEquals(0x04, b[0]);
        assertEquals(0x01, b[3]);
        assertEquals(0x22, b[5]);
        assertEquals(0x6F, b[6]);
        assertEquals(0x05, b[7]);
        assertEquals(0x05, b[13], "EventData 1 carries the offset");
        assertEquals(r, EventRecord.fromBytes(b, 0));
        assertFalse(EventRecord.power(1, EventRecord.ACPI_S0_WORKING).isPowerOff());
    }
}
