package org.vamt.provider.logs.internal;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.model.AMT_EventLogEntry;
import org.vamt.cim.model.AMT_EventLogEntryProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.support.Machines;

/**
 * AMT_EventLogEntry: the records of the VM's AMT event log (the one AMT_MessageLog serves, the
 * VM's typed state {@code logs}; no second log) as instances, one per record, in the order
 * GetRecords returns them; RecordID is the record's position there (the IterationIdentifier
 * GetRecord takes), so both views name a record alike. The fields are those of the 21-byte record
 * ({@link EventRecord}); EventData is its 8 bytes in upper-case hexadecimal. Read-only: clearing
 * and freezing are AMT_MessageLog's methods.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_EventLogEntry",
    CimProvider.REALM_PREFIX + "AMT_EventLogEntry=19"})
public class EventLogEntryProvider extends AMT_EventLogEntryProviderSkeleton {
    static final String ELEMENT_NAME = "Event Log Entry";

    private final Hypervisor hypervisor;
    private final StateStore<MessageLogState> store;

    @Activate
    public EventLogEntryProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new StateStore<>(hypervisor, MessageLogState.STATE);
    }

    @Override
    protected List<AMT_EventLogEntry> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        String uuid = ctx.machineId();
        List<EventRecord> records;
        try {
            records = MessageLogProvider.decode(uuid, store.get(uuid).records());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        List<AMT_EventLogEntry> out = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            EventRecord r = records.get(i);
            out.add(new AMT_EventLogEntry()
                    .setCreationClassName(AMT_EventLogEntry.CLASS_NAME)
                    .setRecordID(i + 1)
                    .setElementName(ELEMENT_NAME)
                    .setTimeStamp(r.timestamp())
                    .setDeviceAddress(r.deviceAddress())
                    .setEventSensorType(r.sensorType())
                    .setEventType(r.eventType())
                    .setEventOffset(r.offset())
                    .setEventSourceType(r.sourceType())
                    .setEventSeverity(r.severity())
                    .setSensorNumber(r.sensorNumber())
                    .setEntity(r.entity())
                    .setEntityInstance(r.entityInstance())
                    .setEventData(HexFormat.of().withUpperCase().formatHex(r.eventData())));
        }
        return out;
    }
}
