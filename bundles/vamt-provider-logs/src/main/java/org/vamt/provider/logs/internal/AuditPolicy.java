package org.vamt.provider.logs.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.vamt.hypervisor.state.StateType;

/**
 * A VM's audit-log policy as kept with the VM (typed per-VM state, namespace {@code audit}; this
 * bundle alone reads and writes it): AMT_AuditLog's storage policy and lock, AMT_AuditPolicyRule's
 * events. Events are {@code (AuditAppID << 16) | EventID}.
 *
 * @param storagePolicy 0 no roll-over, 1 roll-over (AMT's default), 2 restricted roll-over
 * @param minDaysToKeep restricted roll-over overwrites only records at least this many days old
 * @param disabled      events not audited (audit-log events, AuditAppID 20, are never in it)
 * @param enabled       events audited that vAMT's catalogue does not list (shown by the policy rule)
 * @param critical      events whose operation is refused when it cannot be recorded
 * @param lockHandle    the handle of the auditor's lock (0: none)
 * @param lockUntil     epoch milliseconds the lock lapses at
 */
record AuditPolicy(int storagePolicy, int minDaysToKeep, List<Long> disabled, List<Long> enabled,
                   List<Long> critical, long lockHandle, long lockUntil) {
    static final int NO_ROLL_OVER = 0;
    static final int ROLL_OVER = 1;
    static final int RESTRICTED_ROLL_OVER = 2;
    static final AuditPolicy DEFAULT = new AuditPolicy(ROLL_OVER, 0, List.of(), List.of(), List.of(), 0, 0);

    static final StateType<AuditPolicy> STATE = StateType.of("audit", AuditPolicy.class, DEFAULT);

    AuditPolicy {
        disabled = sorted(disabled);
        enabled = sorted(enabled);
        critical = sorted(critical);
    }

    private static List<Long> sorted(List<Long> events) {
        return events == null ? List.of() : List.copyOf(new TreeSet<>(events));
    }

    static long event(int appId, int eventId) {
        return ((long) (appId & 0xFFFF) << 16) | (eventId & 0xFFFF);
    }

    static int appOf(long event) {
        return (int) (event >>> 16);
    }

    /** Audit-log events (clearing, policy changes) are always recorded, whatever the policy says. */
    static boolean alwaysAudited(long event) {
        return appOf(event) == AuditLogProvider.APP_AUDIT_LOG;
    }

    boolean audits(long event) {
        return alwaysAudited(event) || !disabled.contains(event);
    }

    boolean isCritical(long event) {
        return critical.contains(event);
    }

    boolean lockedAt(long nowMillis) {
        return lockHandle != 0 && nowMillis < lockUntil;
    }

    AuditPolicy withStorage(int policy, int days) {
        return new AuditPolicy(policy, days, disabled, enabled, critical, lockHandle, lockUntil);
    }

    AuditPolicy withLock(long handle, long until) {
        return new AuditPolicy(storagePolicy, minDaysToKeep, disabled, enabled, critical, handle, until);
    }

    /** Audits {@code event} (as critical or not) or stops auditing it. */
    AuditPolicy with(long event, boolean audit, boolean isCritical, Set<Long> catalogue) {
        List<Long> d = new ArrayList<>(disabled);
        List<Long> e = new ArrayList<>(enabled);
        List<Long> c = new ArrayList<>(critical);
        d.remove(event);
        e.remove(event);
        c.remove(event);
        if (!audit) {
            d.add(event);
        } else {
            if (!catalogue.contains(event)) {
                e.add(event);
            }
            if (isCritical) {
                c.add(event);
            }
        }
        return new AuditPolicy(storagePolicy, minDaysToKeep, d, e, c, lockHandle, lockUntil);
    }
}
