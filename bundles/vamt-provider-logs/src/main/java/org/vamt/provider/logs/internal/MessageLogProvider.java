package org.vamt.provider.logs.internal;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_MessageLog;
import org.vamt.cim.model.AMT_MessageLogProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.time.FirmwareClock;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineListener;
import org.vamt.provider.support.Machines;

/**
 * The firmware event log of each VM's vAMT (compat section 4.9): VM lifecycle events (power on and
 * off, suspend and resume, crash) recorded as 21-byte AMT event records ({@link EventRecord}), the
 * newest {@value #MAX_RECORDS} kept per VM, stored with the VM (domain metadata) so they survive
 * vAMT restarts. Consoles read it with PositionToFirstRecord and GetRecords.
 * <p>
 * Iteration identifiers are stateless: the 1-based number of the next record to read (oldest is 1),
 * so any number of readers may iterate at once.
 */
@Component(service = {CimProvider.class, MachineListener.class},
        property = {
    CimProvider.CLASSES + "=AMT_MessageLog",
    CimProvider.REALM_PREFIX + "AMT_MessageLog=19,7",
    CimProvider.REALM_PREFIX + "AMT_MessageLog.PositionToFirstRecord=19",
    CimProvider.REALM_PREFIX + "AMT_MessageLog.GetRecords=19"})
public class MessageLogProvider extends AMT_MessageLogProviderSkeleton implements MachineListener {
    private static final Logger LOG = LoggerFactory.getLogger(MessageLogProvider.class);
    static final String NAME = "Intel(r) AMT:MessageLog 1";
    static final int MAX_RECORDS = 390;
    static final long SUCCESS = 0;
    static final long INTERNAL_ERROR = 1;
    static final long INVALID_PARAMETER = 36;

    private final Hypervisor hypervisor;
    private final Clock clock;
    private final StateStore<MessageLogState> store;
    /** The firmware clock kept by the time provider (its owner), so records carry the clock consoles see. */
    private final StateStore<FirmwareClock> firmwareClock;

    @Activate
    public MessageLogProvider(@Reference Hypervisor hypervisor) {
        this(hypervisor, Clock.systemUTC());
    }

    MessageLogProvider(Hypervisor hypervisor, Clock clock) {
        this.hypervisor = hypervisor;
        this.clock = clock;
        this.store = new StateStore<>(hypervisor, MessageLogState.STATE);
        this.firmwareClock = new StateStore<>(hypervisor, FirmwareClock.STATE);
    }

    // ---- recording ----

    @Override
    public void machineChanged(MachineEvent event) {
        if (event == null || event.uuid() == null) {
            return;
        }
        try {
            record(event.uuid(), event.type());
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {} ({}): could not log {} in the AMT event log: {}", event.name(), event.uuid(), event.type(),
                    e.toString());
        }
    }

    /**
     * Appends the record for this lifecycle event, unless the log is frozen or the event is not
     * logged; a compare-and-set, so records from several gateways or threads are all kept.
     */
    void record(String uuid, MachineEvent.Type type) throws HypervisorException {
        EventRecord r = toRecord(type, now(uuid));
        if (r == null) {
            return;
        }
        store.update(uuid, log -> {
            if (log.frozen()) {
                return log;
            }
            List<EventRecord> records = decode(uuid, log.records());
            if (r.isPowerOff() && !records.isEmpty() && records.get(records.size() - 1).isPowerOff()) {
                return log;   // a guest shutdown reports SHUTDOWN then STOPPED: one power-off
            }
            records.add(r);
            return new MessageLogState(false, encode(records));
        });
    }

    static EventRecord toRecord(MachineEvent.Type type, long timestamp) {
        switch (type) {
            case STARTED:
            case RESUMED:
                return EventRecord.power(timestamp, EventRecord.ACPI_S0_WORKING);
            case STOPPED:
            case SHUTDOWN:
                return EventRecord.power(timestamp, EventRecord.ACPI_S5_SOFT_OFF);
            case SUSPENDED:
                return EventRecord.power(timestamp, EventRecord.ACPI_SLEEPING_S1_S3);
            case PM_SUSPENDED:
                return EventRecord.power(timestamp, EventRecord.ACPI_S3_SLEEPING);
            case CRASHED:
                return EventRecord.crash(timestamp);
            default:
                return null;
        }
    }

    private long now(String uuid) {
        long offset = 0;
        try {
            offset = firmwareClock.get(uuid).offsetSeconds();
        } catch (HypervisorException e) {
            // host clock
        }
        return Math.max(1, Math.min(0xFFFFFFFEL, clock.instant().getEpochSecond() + offset));
    }

    // ---- storage: base64 of the concatenated 21-byte records, oldest first ----

    List<EventRecord> read(String uuid) throws HypervisorException {
        return decode(uuid, store.get(uuid).records());
    }

    static List<EventRecord> decode(String uuid, String text) {
        List<EventRecord> records = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return records;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            LOG.warn("VM {}: ignoring an unreadable AMT event log", uuid);
            return records;
        }
        for (int i = 0; i + EventRecord.SIZE <= bytes.length; i += EventRecord.SIZE) {
            records.add(EventRecord.fromBytes(bytes, i));
        }
        return records;
    }

    /** The newest {@value #MAX_RECORDS} records as stored; null for none. */
    private static String encode(List<EventRecord> records) {
        List<EventRecord> kept = records.size() > MAX_RECORDS
                ? records.subList(records.size() - MAX_RECORDS, records.size()) : records;
        if (kept.isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(kept.size() * EventRecord.SIZE);
        for (EventRecord r : kept) {
            out.writeBytes(r.toBytes());
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    // ---- CIM ----

    @Override
    protected List<AMT_MessageLog> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        String uuid = ctx.machineId();
        try {
            MessageLogState state = store.get(uuid);
            return List.of(new AMT_MessageLog()
                    .setCreationClassName(AMT_MessageLog.CLASS_NAME)
                    .setName(NAME)
                    .setElementName(NAME)
                    .setEnabledState(2)
                    .setRequestedState(12)
                    .setLogState(2)
                    .setMaxNumberOfRecords(MAX_RECORDS)
                    .setCurrentNumberOfRecords(decode(uuid, state.records()).size())
                    .setOverwritePolicy(2)
                    .setCapabilities(5, 6, 7)   // freeze, clear, addressing by record number
                    .setMaxRecordSize(EventRecord.SIZE)
                    .setCharacterSet(10)        // octet string
                    .setIsFrozen(state.frozen())
                    // AMT's constants for its event log: sizes it does not expose (0), no change
                    // tracking (LastChange 0), "near full" only at 100 %, always OK.
                    .setEnabledDefault(2)
                    .setHealthState(5)
                    .setOperationalStatus(2)
                    .setStatus("OK")
                    .setLastChange(0)
                    .setMaxLogSize(0L)
                    .setPercentageNearFull(100)
                    .setSizeOfHeader(0L)
                    .setSizeOfRecordHeader(0L));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    @Override
    protected MethodResult PositionToFirstRecord(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        return new MethodResult(SUCCESS, Map.of("IterationIdentifier", 1L));
    }

    @Override
    protected MethodResult GetRecords(RequestContext ctx, CimObjectPath target, Long iterationIdentifier,
                                      Long maxReadRecords) throws CimException {
        List<EventRecord> records = records(ctx);
        if (iterationIdentifier == null || iterationIdentifier < 1 || iterationIdentifier > records.size() + 1
                || maxReadRecords == null || maxReadRecords < 0) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        int from = (int) (iterationIdentifier - 1);
        int to = (int) Math.min(records.size(), from + Math.min(maxReadRecords, MAX_RECORDS));
        List<String> array = new ArrayList<>(to - from);
        for (EventRecord r : records.subList(from, to)) {
            array.add(Base64.getEncoder().encodeToString(r.toBytes()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("IterationIdentifier", (long) to + 1);
        out.put("NoMoreRecords", to >= records.size());
        out.put("RecordArray", array);
        return new MethodResult(SUCCESS, out);
    }

    @Override
    protected MethodResult PositionAtRecord(RequestContext ctx, CimObjectPath target, Long iterationIdentifier,
                                            Boolean moveAbsolute, Long recordNumber) throws CimException {
        List<EventRecord> records = records(ctx);
        if (recordNumber == null || !Boolean.TRUE.equals(moveAbsolute) && (iterationIdentifier == null
                || iterationIdentifier < 1 || iterationIdentifier > records.size() + 1)) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        long position = Boolean.TRUE.equals(moveAbsolute) ? recordNumber : iterationIdentifier + recordNumber;
        if (position < 1 || position > records.size() + 1) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        return new MethodResult(SUCCESS, Map.of("IterationIdentifier", position, "RecordNumber", position));
    }

    @Override
    protected MethodResult GetRecord(RequestContext ctx, CimObjectPath target, Long iterationIdentifier,
                                     Boolean positionToNext) throws CimException {
        List<EventRecord> records = records(ctx);
        if (iterationIdentifier == null || iterationIdentifier < 1 || iterationIdentifier > records.size()) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        List<Long> data = new ArrayList<>(EventRecord.SIZE);
        for (byte b : records.get((int) (iterationIdentifier - 1)).toBytes()) {
            data.add((long) (b & 0xFF));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("IterationIdentifier", Boolean.TRUE.equals(positionToNext) ? iterationIdentifier + 1 : iterationIdentifier);
        out.put("RecordNumber", iterationIdentifier);
        out.put("RecordData", data);
        return new MethodResult(SUCCESS, out);
    }

    @Override
    protected MethodResult CancelIteration(RequestContext ctx, CimObjectPath target, String iterationIdentifier)
            throws CimException {
        Machines.require(hypervisor, ctx);
        return MethodResult.of(SUCCESS);   // iterations hold nothing
    }

    @Override
    protected MethodResult ClearLog(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        String uuid = ctx.machineId();
        try {
            store.update(uuid, log -> new MessageLogState(log.frozen(), null));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {} ({}): AMT event log cleared by {}", ctx.machineName(), uuid, ctx.user());
        return MethodResult.of(SUCCESS);
    }

    @Override
    protected MethodResult FreezeLog(RequestContext ctx, CimObjectPath target, Boolean freeze) throws CimException {
        Machines.require(hypervisor, ctx);
        if (freeze == null) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        String uuid = ctx.machineId();
        try {
            store.update(uuid, log -> new MessageLogState(freeze, log.records()));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {} ({}): AMT event log {} by {}", ctx.machineName(), uuid, freeze ? "frozen" : "unfrozen",
                ctx.user());
        return MethodResult.of(SUCCESS);
    }

    private List<EventRecord> records(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        try {
            return read(ctx.machineId());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
