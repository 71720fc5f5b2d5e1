package org.vamt.provider.processor.internal;

import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.processor.model.Processor;
import org.vamt.provider.processor.model.ProcessorProviderSkeleton;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's class (Fig. 2), written the CIMPLE way: {@code src/main/mof/Processor.mof} is
 * compiled at build time into the typed {@link Processor} and {@link ProcessorProviderSkeleton};
 * this class fills in {@code enumerate} and {@code Enable}. The MOF travels in the bundle, so the
 * class exists exactly while the bundle runs.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=Processor",
    CimProvider.REALM_PREFIX + "Processor=4,5"})
public class ProcessorProvider extends ProcessorProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessorProvider.class);
    static final long SUCCESS = VcpuRules.SUCCESS;
    static final long NOT_POSSIBLE = VcpuRules.NOT_POSSIBLE;

    private final Hypervisor hypervisor;

    @Activate
    public ProcessorProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<Processor> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        List<Processor> list = new ArrayList<>(vm.maxVcpus());
        for (int n = 0; n < vm.maxVcpus(); n++) {
            Processor p = new Processor().setNumber(n).setElementName("vCPU " + n)
                    .setEnabledState(n < vm.onlineVcpus() ? 2 : 3);
            if (vm.vcpuChangePending(n)) {
                // runs now but not after the next power cycle (3), or the other way round (2)
                p.setRequestedState(n < vm.nextStartVcpus() ? 2 : 3);
            }
            list.add(p);
        }
        return list;
    }

    @Override
    protected MethodResult Enable(RequestContext ctx, CimObjectPath target, Boolean enabled) throws CimException {
        if (!Processor.CLASS_NAME.equalsIgnoreCase(target.className())) {
            throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, "Enable on " + target.className());
        }
        if (enabled == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Enabled is required");
        }
        long number = CimValues.toLong(target.key("Number"));
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long rv = VcpuRules.enable(hypervisor, vm, number, enabled);
        LOG.info("VM {} ({}): Processor {} Enable({}) by {} -> ReturnValue {}", vm.name(), vm.uuid(), number, enabled,
                ctx.user(), rv);
        return MethodResult.of(rv);
    }
}
