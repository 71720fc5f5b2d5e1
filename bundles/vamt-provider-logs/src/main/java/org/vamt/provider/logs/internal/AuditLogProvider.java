package org.vamt.provider.logs.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.security.SecureRandom;
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
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.support.Machines;

/**
 * AMT's security audit log per VM (compat section 4.10): the WS-Management front end records who
 * changed what, from where ({@link AuditTrail}); consoles read it with ReadRecords, ten records per
 * call as AMT does. Kept in files under {@code ${karaf.data}/vamt/audit}, so it survives restarts
 * whatever the hypervisor driver, and it is not writable through the hypervisor the way domain
 * metadata is. What is recorded follows the VM's audit policy ({@link AuditPolicy}, kept with the
 * VM): the events AMT_AuditPolicyRule audits, the storage policy when the log is full, and the
 * auditor's lock (nothing is written while the log is locked).
 */
@Component(service = {CimProvider.class, AuditTrail.class}, property = {
    CimProvider.CLASSES + "=AMT_AuditLog",
    CimProvider.REALM_PREFIX + "AMT_AuditLog=20"})
public class AuditLogProvider extends AMT_AuditLogProviderSkeleton implements AuditTrail {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLogProvider.class);
    static final String NAME = "Intel(r) AMT:Audit Log";
    /** AMT's ElementName differs from its Name: no colon. */
    static final String ELEMENT_NAME = "Intel(r) AMT Audit Log";
    static final int MAX_RECORDS = 1000;
    static final int RECORDS_PER_READ = 10;
    static final long SUCCESS = 0;
    static final long INVALID_INDEX = 35;
    static final long NOT_PERMITTED = 16;
    static final long INVALID_PARAMETER = 36;
    static final long INVALID_HANDLE = 2053;
    /** SetAuditLock flags and AMT's longest lock. */
    static final int LOCK = 0;
    static final int UNPROVISIONING_LOCK = 1;
    static final int UNLOCK = 2;
    static final int MAX_LOCK_SECONDS = 300;
    static final int MAX_DAYS_TO_KEEP = 365;
    /** AuditState values (the MOF's ValueMap). */
    static final int UNLOCKED = 16;
    static final int LOCKED = 32;
    /** Security Audit Log Cleared (AuditAppID 20, EventID 0). */
    static final int APP_AUDIT_LOG = 20;

    private final Hypervisor hypervisor;
    private final AuditStore store;
    private final StateStore<AuditPolicy> policies;
    private final SecureRandom random = new SecureRandom();
    /** Records refused (log locked, or full under its storage policy) per VM, for the service log. */
    private final Map<String, Long> refused = new ConcurrentHashMap<>();
    /** Critical operations refused because their record could not be written, per VM. */
    private final Map<String, Long> blocked = new ConcurrentHashMap<>();

    @Activate
    public AuditLogProvider(@Reference Hypervisor hypervisor) {
        this(hypervisor, Paths.get(System.getProperty("karaf.data", "data"), "vamt", "audit"));
    }

    AuditLogProvider(Hypervisor hypervisor, Path dir) {
        this.hypervisor = hypervisor;
        this.store = new AuditStore(dir, MAX_RECORDS);
        this.policies = new StateStore<>(hypervisor, AuditPolicy.STATE);
    }

    /** The policy of a VM; AMT's default when it cannot be read (a record is never lost to that). */
    private AuditPolicy policy(String machineId) {
        try {
            return policies.get(machineId);
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("audit: VM {}: audit policy unreadable ({}); recording under the default policy", machineId,
                    e.getMessage());
            return AuditPolicy.DEFAULT;
        }
    }

    @Override
    public void record(AuditEvent event) {
        try {
            long key = AuditPolicy.event(event.appId(), event.eventId());
            AuditPolicy policy = policy(event.machineId());
            if (!policy.audits(key)) {
                LOG.debug("audit: VM {} event {}/{} is not audited by its policy", event.machineId(), event.appId(),
                        event.eventId());
                return;
            }
            long now = System.currentTimeMillis();
            if (policy.lockedAt(now)) {
                refused(event, "the audit log is locked by an auditor");
                return;
            }
            if (!store.append(event.machineId(), AuditRecord.encode(event), policy.storagePolicy(),
                    policy.minDaysToKeep(), policy.isCritical(key), now / 1000)) {
                refused(event, "the audit log is full under its storage policy " + policy.storagePolicy());
                return;
            }
            LOG.info("audit: VM {} event {}/{} by {} from {}", event.machineId(), event.appId(), event.eventId(),
                    event.initiator(), event.address());
        } catch (RuntimeException e) {
            LOG.error("audit: could not record event {}/{} on VM {}", event.appId(), event.eventId(),
                    event.machineId(), e);
        }
    }

    /**
     * AMT's critical events: an operation whose event the VM's policy marks critical may run only
     * if its record can be written now (not locked, room under the storage policy). Asked before
     * the operation, recorded after it: a record another request takes in between can still fill
     * the log, and the critical record is then refused (and logged) although the operation ran.
     * Under no roll-over the last 15% of the log is kept for critical records, so that takes more
     * than 150 critical operations at once; a lock set in between is the auditor's own race.
     */
    @Override
    public boolean allows(String machineId, int appId, int eventId) {
        long key = AuditPolicy.event(appId, eventId);
        if (AuditPolicy.alwaysAudited(key)) {
            return true;   // the log's own events are never critical: an auditor can always recover the log
        }
        AuditPolicy policy = policy(machineId);
        if (!policy.isCritical(key) || !policy.audits(key)) {
            return true;
        }
        long now = System.currentTimeMillis();
        boolean locked = policy.lockedAt(now);
        if (!locked && store.accepts(machineId, policy.storagePolicy(), policy.minDaysToKeep(), true, now / 1000)) {
            return true;
        }
        long n = blocked.merge(machineId.toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
        if (n == 1 || n % 1000 == 0) {
            LOG.warn("audit: VM {}: critical event {}/{} cannot be recorded ({}); its operation is refused"
                    + " ({} refused since start)", machineId, appId, eventId, locked
                    ? "the audit log is locked by an auditor"
                    : "the audit log is full under its storage policy " + policy.storagePolicy(), n);
        }
        return false;
    }

    /** Says so in the service log for the first refused record of a VM and every 1,000th after. */
    private void refused(AuditEvent event, String why) {
        long n = refused.merge(event.machineId().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
        if (n == 1 || n % 1000 == 0) {
            LOG.warn("audit: VM {}: event {}/{} not recorded: {} ({} refused since start)", event.machineId(),
                    event.appId(), event.eventId(), why, n);
        }
    }

    @Override
    protected List<AMT_AuditLog> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        AuditPolicy policy = read(ctx);
        List<byte[]> records = store.records(ctx.machineId());
        AMT_AuditLog log = new AMT_AuditLog()
                .setName(NAME)
                .setElementName(ELEMENT_NAME)
                .setEnabledState(2)
                .setRequestedState(2)
                .setAuditState(policy.lockedAt(System.currentTimeMillis()) ? LOCKED : UNLOCKED)
                .setMaxNumberOfRecords(MAX_RECORDS)
                .setCurrentNumberOfRecords(records.size())
                .setPercentageFree((int) (100 - (records.size() * 100L) / MAX_RECORDS))
                .setOverwritePolicy(policy.storagePolicy() == AuditPolicy.NO_ROLL_OVER ? 7 : 2)
                .setStoragePolicy(policy.storagePolicy())
                .setMinDaysToKeep(policy.minDaysToKeep())
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

    private AuditPolicy read(RequestContext ctx) throws CimException {
        try {
            return policies.get(ctx.machineId());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /** A refusal with an AMT return code, out of a state change (nothing is written). */
    static final class Refused extends Exception {
        final long code;

        Refused(long code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    /**
     * Locks the log for an auditor (AMT's export sequence: lock, read, clear, unlock) or unlocks
     * it. The lock is kept with the VM, so every gateway honours it and a restart does not lift
     * it; it lapses after its timeout (at most 300 s) whatever happens to its holder.
     */
    @Override
    protected MethodResult SetAuditLock(RequestContext ctx, CimObjectPath target, Long lockTimeoutInSeconds,
                                        Long flag, Long handle) throws CimException {
        Machines.require(hypervisor, ctx);
        if (flag == null || flag < LOCK || flag > UNLOCK) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        long now = System.currentTimeMillis();
        long[] granted = new long[1];
        try {
            AuditPolicy after = policies.modify(ctx.machineId(), current -> {
                boolean locked = current.lockedAt(now);
                if (flag == UNLOCK) {
                    if (!locked) {
                        return current.withLock(0, 0);
                    }
                    if (handle == null || handle != current.lockHandle()) {
                        throw new Refused(INVALID_HANDLE);
                    }
                    return current.withLock(0, 0);
                }
                if (lockTimeoutInSeconds == null || lockTimeoutInSeconds < 1
                        || lockTimeoutInSeconds > MAX_LOCK_SECONDS) {
                    throw new Refused(INVALID_PARAMETER);
                }
                if (locked && (handle == null || handle != current.lockHandle())) {
                    throw new Refused(NOT_PERMITTED);
                }
                long h = locked ? current.lockHandle() : 1 + random.nextInt(Integer.MAX_VALUE - 1);
                granted[0] = h;
                return current.withLock(h, now + lockTimeoutInSeconds * 1000);
            });
            LOG.info("audit: VM {} log {} by {}", ctx.machineName(), after.lockedAt(now) ? "locked" : "unlocked",
                    ctx.user());
        } catch (Refused r) {
            return MethodResult.of(r.code);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        return flag == UNLOCK ? new MethodResult(SUCCESS, Map.of())
                : new MethodResult(SUCCESS, Map.of("Handle", granted[0]));
    }

    /** What happens when the log is full: no roll-over, roll-over, restricted roll-over (DaysToKeep). */
    @Override
    protected MethodResult SetStoragePolicy(RequestContext ctx, CimObjectPath target, Long storagePolicy,
                                            Long daysToKeep) throws CimException {
        Machines.require(hypervisor, ctx);
        if (storagePolicy == null || storagePolicy < AuditPolicy.NO_ROLL_OVER
                || storagePolicy > AuditPolicy.RESTRICTED_ROLL_OVER) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        int days = 0;
        if (storagePolicy == AuditPolicy.RESTRICTED_ROLL_OVER) {
            if (daysToKeep == null || daysToKeep < 1 || daysToKeep > MAX_DAYS_TO_KEEP) {
                return MethodResult.of(INVALID_PARAMETER);
            }
            days = daysToKeep.intValue();
        }
        int d = days;
        try {
            policies.update(ctx.machineId(), p -> p.withStorage(storagePolicy.intValue(), d));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("audit: VM {} storage policy {} (days to keep {}) set by {}", ctx.machineName(), storagePolicy, d,
                ctx.user());
        return new MethodResult(SUCCESS, Map.of());
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
