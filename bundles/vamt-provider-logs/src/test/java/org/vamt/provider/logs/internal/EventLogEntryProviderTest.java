package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** AMT_EventLogEntry shows the same records as AMT_MessageLog's GetRecord (real test driver). */
class EventLogEntryProviderTest {
    private DemoHypervisor demo;
    private MessageLogProvider log;
    private EventLogEntryProvider entries;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        log = new MessageLogProvider(demo.hypervisor());
        demo.addMachineListener(log);
        entries = new EventLogEntryProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private List<CimInstance> list(String uuid) throws CimException {
        return entries.enumerateInstances(vm(uuid), "AMT_EventLogEntry");
    }

    @Test
    void anEmptyLogHasNoEntries() throws Exception {
        assertTrue(list(DESKTOP_01).isEmpty());
    }

    @Test
    void eachRecordIsAnEntryNumberedAsGetRecordNumbersIt() throws Exception {
        demo.hypervisor().powerOff(DESKTOP_01);
        demo.hypervisor().powerOn(DESKTOP_01);
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<CimInstance> list = list(DESKTOP_01);
        while (list.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            list = list(DESKTOP_01);
        }
        assertEquals(2, list.size(), list.toString());
        for (int i = 0; i < list.size(); i++) {
            CimInstance e = list.get(i);
            assertEquals("AMT_EventLogEntry", e.get("CreationClassName"));
            assertEquals((long) i + 1, e.get("RecordID"));
            assertEquals("Event Log Entry", e.get("ElementName"));
            MethodResult r = log.invokeMethod(vm(DESKTOP_01), CimObjectPath.of("AMT_MessageLog"), "GetRecord",
                    Map.of("IterationIdentifier", (long) i + 1));
            assertEquals(0, r.returnValue());
            @SuppressWarnings("unchecked")
            List<Long> data = (List<Long>) r.outputs().get("RecordData");
            byte[] bytes = new byte[data.size()];
            for (int b = 0; b < bytes.length; b++) {
                bytes[b] = (byte) (long) data.get(b);
            }
            EventRecord rec = EventRecord.fromBytes(bytes, 0);
            assertEquals(rec.timestamp(), e.get("TimeStamp"));
            assertEquals((long) rec.deviceAddress(), e.get("DeviceAddress"));
            assertEquals((long) rec.sensorType(), e.get("EventSensorType"));
            assertEquals((long) rec.eventType(), e.get("EventType"));
            assertEquals((long) rec.offset(), e.get("EventOffset"));
            assertEquals((long) rec.sourceType(), e.get("EventSourceType"));
            assertEquals((long) rec.severity(), e.get("EventSeverity"));
            assertEquals((long) rec.sensorNumber(), e.get("SensorNumber"));
            assertEquals((long) rec.entity(), e.get("Entity"));
            assertEquals((long) rec.entityInstance(), e.get("EntityInstance"));
            assertEquals(HexFormat.of().withUpperCase().formatHex(rec.eventData()), e.get("EventData"));
        }
        assertEquals(0x05L, list.get(0).get("EventOffset"), "first the power-off (S5)");
        assertEquals(0x00L, list.get(1).get("EventOffset"), "then the power-on (S0)");
        assertTrue(list(KIOSK).isEmpty(), "each VM has its own log");

        log.invokeMethod(vm(DESKTOP_01), CimObjectPath.of("AMT_MessageLog"), "ClearLog", Map.of());
        assertTrue(list(DESKTOP_01).isEmpty(), "clearing the message log clears the entries: one log");
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class, () -> list(DemoHypervisor.UNKNOWN));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
