package org.vamt.provider.logs.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditTrail;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_AuditLog;
import org.vamt.cim.model.AMT_AuditLogProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.Machines;

/**
 * AMT's security audit log per VM (compat section 4.10): the WS-Management front end records who
 * changed what, from where ({@link AuditTrail}); consoles read it with ReadRecords, ten records per
 * call as AMT does. Kept in files under {@code ${karaf.data}/vamt/audit}, so it survives restarts
 * whatever the hypervisor driver, and it is not writable through the hypervisor the way domain
 * metadata is.
 */
@Component(service = {CimProvider.class, AuditTrail.class}, property = {
    CimProvider.CLASSES + "=AMT_AuditLog",
    CimProvider.REALM_PREFIX + "AMT_AuditLog=20"})
public class AuditLogProvider extends AMT_AuditLogProviderSkeleton implements AuditTrail {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLogProvider.class);
    static final String NAME = "Intel(r) AMT:Audit Log";
    static final int MAX_RECORDS = 1000;
    static final int RECORDS_PER_READ = 10;
    static final long SUCCESS = 0;
    static final long INVALID_INDEX = 35;
    /** Security Audit Log Cleared (AuditAppID 20, EventID 0). */
    static final int APP_AUDIT_LOG = 20;

    private final Hypervisor hypervisor;
    private final AuditStore store;

    @Activate
    public AuditLogProvider(@Reference Hypervisor hypervisor) {
        this(hypervisor, Paths.get(System.getProperty("karaf.data", "data"), "vamt", "audit"));
    }

    AuditLogProvider(Hypervisor hypervisor, Path dir) {
        this.hypervisor = hypervisor;
        this.store = new AuditStore(dir, MAX_RECORDS);
    }

    @Override
    public void record(AuditEvent event) {
        try {
            store.append(event.machineId(), AuditRecord.encode(event));
            LOG.info("audit: VM {} event {}/{} by {} from {}", event.machineId(), event.appId(), event.eventId(),
                    event.initiator(), event.address());
        } catch (RuntimeException e) {
            LOG.error("audit: could not record event {}/{} on VM {}", event.appId(), event.eventId(),
                    event.machineId(), e);
        }
    }

    @Override
    protected List<AMT_AuditLog> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        List<byte[]> records = store.records(ctx.machineId());
        AMT_AuditLog log = new AMT_AuditLog()
                .setName(NAME)
                .setElementName(NAME)
                .setEnabledState(2)
                .setRequestedState(2)
                .setAuditState(16)
                .setMaxNumberOfRecords(MAX_RECORDS)
                .setCurrentNumberOfRecords(records.size())
                .setPercentageFree((int) (100 - (records.size() * 100L) / MAX_RECORDS))
                .setOverwritePolicy(2)
                .setStoragePolicy(1)
                .setMinDaysToKeep(0)
                .setMaxAllowedAuditors(1);
        if (!records.isEmpty()) {
            log.setTimeOfLastRecord(CimDateTime.of(Instant.ofEpochSecond(
                    AuditRecord.time(records.get(records.size() - 1)))));
        }
        return List.of(log);
    }

    @Override
    protected MethodResult ReadRecords(RequestContext ctx, CimObjectPath target, Long startIndex)
            throws CimException {
        Machines.require(hypervisor, ctx);
        List<byte[]> records = store.records(ctx.machineId());
        if (startIndex == null || startIndex < 1 || (startIndex > records.size() && !(records.isEmpty()
                && startIndex == 1))) {
            return MethodResult.of(INVALID_INDEX);
        }
        int from = (int) (startIndex - 1);
        int to = Math.min(records.size(), from + RECORDS_PER_READ);
        List<String> batch = new ArrayList<>();
        for (byte[] r : records.subList(from, to)) {
            batch.add(Base64.getEncoder().encodeToString(r));
        }
        java.util.LinkedHashMap<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("TotalRecordCount", (long) records.size());
        out.put("RecordsReturned", (long) batch.size());
        if (!batch.isEmpty()) {
            out.put("EventRecords", batch);
        }
        return new MethodResult(SUCCESS, out);
    }

    /** Clears the log; the clearing is recorded (by the front end) as the first record of the new log. */
    @Override
    protected MethodResult ClearLog(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        store.replace(ctx.machineId(), List.of());
        LOG.info("audit: VM {} log cleared by {}", ctx.machineName(), ctx.user());
        return new MethodResult(SUCCESS, Map.of());
    }
}
