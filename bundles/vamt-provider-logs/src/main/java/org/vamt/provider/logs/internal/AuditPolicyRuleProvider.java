package org.vamt.provider.logs.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_AuditPolicyRule;
import org.vamt.cim.model.AMT_AuditPolicyRuleProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.support.Machines;

/**
 * AMT's audit policy per VM: which events the audit log records and which are critical
 * (AMT_AuditPolicyRule, one instance per VM). Kept with the VM ({@link AuditPolicy}); the audit log
 * ({@link AuditLogProvider}) reads it for every record.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_AuditPolicyRule",
    CimProvider.REALM_PREFIX + "AMT_AuditPolicyRule=20"})
public class AuditPolicyRuleProvider extends AMT_AuditPolicyRuleProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(AuditPolicyRuleProvider.class);
    static final String RULE_NAME = "Audit Policy Rule";
    static final long SUCCESS = 0;
    static final long INVALID_PARAMETER = 36;
    static final int NONE = 0;
    static final int CRITICAL = 1;

    /**
     * The events vAMT records (AuditAppID, EventID), audited unless the policy says otherwise:
     * security admin 16 (ACL entries, TLS, certificates, invalid credentials, other changes), remote
     * control 17, redirection 18, audit log 20, network time 21, network admin 22, event manager
     * 24, system defense 25, KVM 29, user opt-in 30.
     */
    static final Set<Long> CATALOGUE = catalogue(new int[][] {
        {16, 2}, {16, 3}, {16, 4}, {16, 5}, {16, 6}, {16, 7}, {16, 8}, {16, 9}, {16, 10}, {16, 16},
        {17, 0}, {17, 1}, {17, 2}, {17, 3}, {17, 4},
        {18, 6}, {18, 7}, {18, 10}, {18, 11},
        {20, 0}, {20, 1},
        {21, 0}, {22, 0}, {22, 1}, {24, 2}, {24, 3},
        {25, 0}, {25, 1}, {25, 2}, {25, 3}, {25, 4},
        {29, 2}, {30, 0}, {30, 1}});

    private final Hypervisor hypervisor;
    private final StateStore<AuditPolicy> policies;

    @Activate
    public AuditPolicyRuleProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.policies = new StateStore<>(hypervisor, AuditPolicy.STATE);
    }

    private static Set<Long> catalogue(int[][] events) {
        Set<Long> out = new TreeSet<>();
        for (int[] e : events) {
            out.add(AuditPolicy.event(e[0], e[1]));
        }
        return Set.copyOf(out);
    }

    @Override
    protected List<AMT_AuditPolicyRule> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        AuditPolicy policy;
        try {
            policy = policies.get(ctx.machineId());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        Set<Long> audited = new TreeSet<>(CATALOGUE);
        audited.addAll(policy.enabled());
        audited.removeIf(e -> !policy.audits(e));
        List<Long> types = new ArrayList<>();
        for (long e : audited) {
            types.add(policy.isCritical(e) ? (long) CRITICAL : NONE);
        }
        return List.of(new AMT_AuditPolicyRule()
                .setSystemCreationClassName("CIM_ComputerSystem")
                .setSystemName("Intel(r) AMT")
                .setCreationClassName("AMT_AuditPolicyRule")
                .setPolicyRuleName(RULE_NAME)
                .setElementName(RULE_NAME)
                .setEnabled(1)
                .setAuditApplicationEventID(List.copyOf(audited))
                .setPolicyType(types));
    }

    @Override
    protected MethodResult SetAuditPolicy(RequestContext ctx, CimObjectPath target, Boolean enable, Long auditedAppID,
                                          Long eventID, Long policyType) throws CimException {
        return apply(ctx, enable == null ? null : java.util.Collections.singletonList(enable),
                auditedAppID == null ? null : List.of(auditedAppID), eventID == null ? null : List.of(eventID),
                java.util.Collections.singletonList(policyType), false);
    }

    @Override
    protected MethodResult SetAuditPolicyBulk(RequestContext ctx, CimObjectPath target, List<Boolean> enable,
                                              List<Long> auditedAppID, List<Long> eventID, List<Long> policyType)
            throws CimException {
        return apply(ctx, enable, auditedAppID, eventID, policyType, true);
    }

    /**
     * Checks every setting first and applies all or none (AMT: on an error the policy is not
     * changed); a later setting of the same event wins.
     */
    private MethodResult apply(RequestContext ctx, List<Boolean> enable, List<Long> apps, List<Long> events,
                               List<Long> types, boolean typeRequired) throws CimException {
        Machines.require(hypervisor, ctx);
        if (enable == null || apps == null || events == null || enable.isEmpty() || apps.size() != enable.size()
                || events.size() != enable.size() || (types != null && types.size() != enable.size()
                && !(types.size() == 1 && types.get(0) == null))) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        List<long[]> settings = new ArrayList<>();
        for (int i = 0; i < enable.size(); i++) {
            Boolean on = enable.get(i);
            Long app = apps.get(i);
            Long id = events.get(i);
            Long type = types == null || i >= types.size() ? null : types.get(i);
            if (on == null || app == null || id == null || app < 0 || app > 0xFFFF || id < 0 || id > 0xFFFF) {
                return MethodResult.of(INVALID_PARAMETER);
            }
            if (on && ((type == null && typeRequired) || (type != null && type != NONE && type != CRITICAL))) {
                return MethodResult.of(INVALID_PARAMETER);
            }
            long event = AuditPolicy.event(app.intValue(), id.intValue());
            if (AuditPolicy.alwaysAudited(event) && (!on || (type != null && type == CRITICAL))) {
                // the audit log's own events are always recorded and never critical (as on AMT): a
                // critical "policy modified" or "log cleared" would keep an auditor from recovering
                // a full or locked log
                return MethodResult.of(INVALID_PARAMETER);
            }
            settings.add(new long[] {event, on ? 1 : 0, type != null && type == CRITICAL ? 1 : 0});
        }
        try {
            policies.update(ctx.machineId(), p -> {
                AuditPolicy next = p;
                for (long[] s : settings) {
                    next = next.with(s[0], s[1] == 1, s[2] == 1, CATALOGUE);
                }
                return next;
            });
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("audit: VM {} audit policy changed for {} event(s) by {}", ctx.machineName(), settings.size(),
                ctx.user());
        return new MethodResult(SUCCESS, Map.of());
    }
}
