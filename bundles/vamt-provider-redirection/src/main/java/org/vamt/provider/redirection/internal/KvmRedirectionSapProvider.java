package org.vamt.provider.redirection.internal;

import static org.vamt.provider.redirection.internal.RedirectionNames.COMPLETED;
import static org.vamt.provider.redirection.internal.RedirectionNames.DISABLED;
import static org.vamt.provider.redirection.internal.RedirectionNames.ENABLED;
import static org.vamt.provider.redirection.internal.RedirectionNames.ENABLED_BUT_OFFLINE;
import static org.vamt.provider.redirection.internal.RedirectionNames.INVALID_PARAMETER_DMTF;

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
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.CIM_KVMRedirectionSAP;
import org.vamt.cim.model.CIM_KVMRedirectionSAPProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIM_KVMRedirectionSAP, "KVM Redirection Service Access Point" of the managed system: whether KVM
 * (RFB over the redirection port) is enabled. RequestStateChange 2 enables it, 3 disables it.
 * Enabled reads EnabledState 6 (enabled, no session), or 2 while the redirection listener
 * (vamt-redirection) has a KVM session open. Enabled by default.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_KVMRedirectionSAP",
    CimProvider.REALM_PREFIX + "CIM_KVMRedirectionSAP=2"})
public class KvmRedirectionSapProvider extends CIM_KVMRedirectionSAPProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(KvmRedirectionSapProvider.class);
    static final boolean DEFAULT_ENABLED = true;

    private final Hypervisor hypervisor;
    private final RedirectionStore store;

    /** Optional: without the redirection listener no session can be open. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RedirectionSessions sessions;

    @Activate
    public KvmRedirectionSapProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new RedirectionStore(hypervisor);
    }

    @Override
    protected List<CIM_KVMRedirectionSAP> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        boolean enabled = store.get(vm.uuid()).kvmEnabled();
        return List.of(new CIM_KVMRedirectionSAP()
                .setCreationClassName(CIM_KVMRedirectionSAP.CLASS_NAME)
                .setName(RedirectionNames.KVM_SAP)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.MANAGED_SYSTEM)
                .setElementName(RedirectionNames.KVM_SAP)
                .setEnabledState(!enabled ? DISABLED : inSession(vm.uuid()) ? ENABLED : ENABLED_BUT_OFFLINE)
                .setRequestedState(enabled ? ENABLED : DISABLED)
                .setKVMProtocol(RedirectionNames.KVM_PROTOCOL_VNC_RFB));
    }

    private boolean inSession(String uuid) {
        RedirectionSessions open = sessions;
        return open != null && open.isOpen(uuid, RedirectionSessions.Kind.KVM);
    }

    @Override
    protected MethodResult RequestStateChange(RequestContext ctx, CimObjectPath target, Long requestedState,
                                              CimDateTime timeoutPeriod) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        if (requestedState == null || (requestedState != ENABLED && requestedState != DISABLED)) {
            LOG.info("VM {} ({}): CIM_KVMRedirectionSAP.RequestStateChange({}) by {} refused: only 2 or 3",
                    vm.name(), vm.uuid(), requestedState, ctx.user());
            return MethodResult.of(INVALID_PARAMETER_DMTF);
        }
        boolean enable = requestedState == ENABLED;
        store.update(vm.uuid(), s -> s.withKvmEnabled(enable));
        RedirectionSessions open = sessions;
        if (!enable && open != null && open.terminate(vm.uuid(), RedirectionSessions.Kind.KVM)) {
            LOG.info("VM {} ({}): the open KVM session was ended", vm.name(), vm.uuid());
        }
        LOG.info("VM {} ({}): KVM redirection {} by {}", vm.name(), vm.uuid(), enable ? "enabled" : "disabled",
                ctx.user());
        return MethodResult.of(COMPLETED);
    }
}
