package org.vamt.provider.redirection.internal;

import static org.vamt.provider.redirection.internal.RedirectionNames.COMPLETED;
import static org.vamt.provider.redirection.internal.RedirectionNames.INVALID_PARAMETER_DMTF;
import static org.vamt.provider.redirection.internal.RedirectionNames.PT_INVALID_PARAMETER;
import static org.vamt.provider.redirection.internal.RedirectionNames.PT_SUCCESS;
import static org.vamt.provider.redirection.internal.RedirectionNames.SOL_IDER_BOTH;
import static org.vamt.provider.redirection.internal.RedirectionNames.SOL_IDER_DISABLED;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vamt.provider.redirection.RedirectionSessions;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_RedirectionService;
import org.vamt.cim.model.AMT_RedirectionServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMT_RedirectionService, the singleton "Intel(r) AMT Redirection Service": whether serial-over-LAN
 * and IDE-R are allowed (EnabledState 32768..32771, set with RequestStateChange) and whether the
 * redirection port listens (ListenerEnabled, set with Put). vAMT records the state per VM; the
 * redirection listener (vamt-redirection) honours it and ends sessions on TerminateSession.
 * Defaults are those of a freshly provisioned AMT: both features allowed (32771), listener off.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_RedirectionService",
    CimProvider.REALM_PREFIX + "AMT_RedirectionService=2"})
public class RedirectionServiceProvider extends AMT_RedirectionServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(RedirectionServiceProvider.class);
    static final long DEFAULT_STATE = SOL_IDER_BOTH;
    static final boolean DEFAULT_LISTENER = false;
    static final long SESSION_IDER = 0;
    static final long SESSION_SOL = 1;

    private final Hypervisor hypervisor;
    private final RedirectionStore store;

    /** Optional: without the redirection listener no session can be open. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RedirectionSessions sessions;

    @Activate
    public RedirectionServiceProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new RedirectionStore(hypervisor);
    }

    @Override
    protected List<AMT_RedirectionService> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        return List.of(current(vm.uuid()));
    }

    private AMT_RedirectionService current(String uuid) throws CimException {
        org.vamt.provider.redirection.RedirectionSettings stored = store.get(uuid);
        long state = stored.solIderState();
        return new AMT_RedirectionService()
                .setCreationClassName(AMT_RedirectionService.CLASS_NAME)
                .setName(RedirectionNames.REDIRECTION_SERVICE)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(RedirectionNames.REDIRECTION_SERVICE)
                .setEnabledState(isSolIderState(state) ? state : DEFAULT_STATE)
                .setListenerEnabled(stored.listenerEnabled());
    }

    private static boolean isSolIderState(long state) {
        return state >= SOL_IDER_DISABLED && state <= SOL_IDER_BOTH;
    }

    /** Put: only ListenerEnabled is writable (the CIMOM has already dropped read-only changes). */
    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        Object requested = modified.get("ListenerEnabled");
        if (requested != null) {
            boolean listener = CimValues.toBoolean(requested);
            if (listener != store.get(vm.uuid()).listenerEnabled()) {
                store.update(vm.uuid(), s -> s.withListenerEnabled(listener));
                LOG.info("VM {} ({}): redirection listener {} by {}", vm.name(), vm.uuid(),
                        listener ? "enabled" : "disabled", ctx.user());
            }
        }
        return current(vm.uuid()).toInstance();
    }

    /** 32768 neither, 32769 IDE-R only, 32770 SOL only, 32771 both; anything else is refused. */
    @Override
    protected MethodResult RequestStateChange(RequestContext ctx, CimObjectPath target, Long requestedState,
                                              CimDateTime timeoutPeriod) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        if (requestedState == null || !isSolIderState(requestedState)) {
            LOG.info("VM {} ({}): AMT_RedirectionService.RequestStateChange({}) by {} refused: only 32768..32771",
                    vm.name(), vm.uuid(), requestedState, ctx.user());
            return MethodResult.of(INVALID_PARAMETER_DMTF);
        }
        store.update(vm.uuid(), s -> s.withSolIderState(requestedState));
        LOG.info("VM {} ({}): redirection set by {}: SOL {}, IDE-R {}", vm.name(), vm.uuid(), ctx.user(),
                (requestedState & 2) != 0 ? "enabled" : "disabled", (requestedState & 1) != 0 ? "enabled" : "disabled");
        return MethodResult.of(COMPLETED);
    }

    /**
     * Ends the open IDE-R (0) or SOL (1) session through the redirection listener; a valid type
     * succeeds even with nothing to end, as AMT does.
     */
    @Override
    protected MethodResult TerminateSession(RequestContext ctx, CimObjectPath target, Long sessionType)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        if (sessionType == null || (sessionType != SESSION_IDER && sessionType != SESSION_SOL)) {
            return MethodResult.of(PT_INVALID_PARAMETER);
        }
        RedirectionSessions open = sessions;
        boolean ended = open != null && open.terminate(vm.uuid(),
                sessionType == SESSION_SOL ? RedirectionSessions.Kind.SOL : RedirectionSessions.Kind.IDER);
        LOG.info("VM {} ({}): {} session termination requested by {}; {}", vm.name(), vm.uuid(),
                sessionType == SESSION_SOL ? "SOL" : "IDE-R", ctx.user(), ended ? "session ended" : "no session was open");
        return MethodResult.of(PT_SUCCESS);
    }
}
