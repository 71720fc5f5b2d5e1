package org.vamt.provider.redirection.internal;

import static org.vamt.provider.redirection.internal.RedirectionNames.DISABLED;
import static org.vamt.provider.redirection.internal.RedirectionNames.ENABLED;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.model.CIM_RedirectionService;
import org.vamt.cim.model.CIM_RedirectionServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/**
 * CIM_RedirectionService, which AMT serves as its KVM redirection service: KVM (type 3), one
 * session at a time, shared with the local screen. Read-only: EnabledState is 2 while the VM's KVM
 * is enabled and 3 while it is disabled, the same state CIM_KVMRedirectionSAP switches (no second
 * switch to keep in step); its methods are not available, as consoles use the SAP's.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_RedirectionService",
    CimProvider.REALM_PREFIX + "CIM_RedirectionService=2"})
public class KvmRedirectionServiceProvider extends CIM_RedirectionServiceProviderSkeleton {
    static final String NAME = "Intel(r) AMT KVM Redirection Service";
    static final String ELEMENT_NAME = "Intel(r) ME KVM Redirection Service";
    private static final long KVM = 3;
    private static final long SHARED = 3;

    private final Hypervisor hypervisor;
    private final RedirectionStore store;

    @Activate
    public KvmRedirectionServiceProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new RedirectionStore(hypervisor);
    }

    @Override
    protected List<CIM_RedirectionService> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        boolean enabled = store.get(vm.uuid()).kvmEnabled();
        return List.of(new CIM_RedirectionService()
                .setCreationClassName(CIM_RedirectionService.CLASS_NAME)
                .setName(NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(ELEMENT_NAME)
                .setEnabledState(enabled ? ENABLED : DISABLED)
                .setRequestedState(12)
                .setRedirectionServiceType(KVM)
                .setMaxCurrentEnabledSAPs(1)
                .setSharingMode(SHARED));
    }
}
