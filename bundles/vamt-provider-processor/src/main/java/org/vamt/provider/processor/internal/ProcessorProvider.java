package org.vamt.provider.processor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * vCPUs. The paper's class (Fig. 2) is {@code Processor} with key {@code Number} and the method
 * {@code Enable(Enabled)}; {@code CIM_Processor} shows the same vCPUs the standard way.
 *
 * <p>Hypervisors count online vCPUs (0 … n-1 are online), so a vCPU can be enabled by raising
 * the count to include it, and disabled only when it is the highest online one. Any other
 * request answers {@link #NOT_POSSIBLE} rather than changing a different vCPU.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=Processor",
    CimProvider.CLASSES + "=CIM_Processor"})
public class ProcessorProvider implements CimProvider {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessorProvider.class);

    /** ReturnValues of Processor.Enable. */
    static final long SUCCESS = 0;
    static final long NOT_POSSIBLE = 2;

    private static final int ENABLED = 2;
    private static final int DISABLED = 3;

    private final Hypervisor hypervisor;

    @Activate
    public ProcessorProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        boolean cim = className.toLowerCase(Locale.ROOT).startsWith("cim_");
        List<CimInstance> list = new ArrayList<>(vm.maxVcpus());
        for (int n = 0; n < vm.maxVcpus(); n++) {
            boolean enabled = n < vm.onlineVcpus();
            list.add(cim ? cimProcessor(n, enabled, vm.state().isOn()) : processor(n, enabled));
        }
        return list;
    }

    private static CimInstance processor(int n, boolean enabled) {
        return CimInstance.builder("Processor")
                .key("Number", n)
                .property("ElementName", "vCPU " + n)
                .property("EnabledState", enabled ? ENABLED : DISABLED)
                .build();
    }

    private static CimInstance cimProcessor(int n, boolean enabled, boolean poweredOn) {
        return CimInstance.builder("CIM_Processor")
                .key("CreationClassName", "CIM_Processor")
                .key("DeviceID", "CPU " + n)
                .key("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM)
                .key("SystemName", AmtNames.MANAGED_SYSTEM)
                .property("ElementName", "Managed System CPU")
                // CPUStatus 1 = enabled, 2 = disabled by user; 0 = unknown (host off).
                .property("CPUStatus", !poweredOn ? 0 : enabled ? 1 : 2)
                .property("EnabledState", enabled ? ENABLED : DISABLED)
                .property("Family", 2)
                .property("HealthState", 5)
                .property("OperationalStatus", 0)
                .property("RequestedState", 12)
                .property("Role", "Central")
                .build();
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        if (!"Processor".equalsIgnoreCase(target.className()) || !"Enable".equalsIgnoreCase(method)) {
            throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + " on " + target.className());
        }
        Object enabledArg = arguments.get("Enabled");
        if (enabledArg == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Enabled is required");
        }
        boolean enable = CimValues.toBoolean(enabledArg);
        int number = (int) CimValues.toLong(target.key("Number"));
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long rv = enable(vm, number, enable);
        LOG.info("VM {} ({}): Processor {} Enable({}) by {} -> ReturnValue {}", vm.name(), vm.uuid(), number, enable,
                ctx.user(), rv);
        return MethodResult.of(rv);
    }

    private long enable(MachineInfo vm, int number, boolean enable) throws CimException {
        int online = vm.onlineVcpus();
        int wanted;
        if (enable) {
            wanted = Math.max(online, number + 1);
        } else if (number >= online) {
            wanted = online;
        } else if (number == online - 1 && number > 0) {
            wanted = number;
        } else {
            return NOT_POSSIBLE;
        }
        if (wanted == online) {
            return SUCCESS;
        }
        try {
            hypervisor.setOnlineVcpus(vm.uuid(), wanted);
            return SUCCESS;
        } catch (HypervisorException e) {
            return switch (e.reason()) {
                case INVALID_STATE, UNSUPPORTED, INVALID_ARGUMENT -> NOT_POSSIBLE;
                default -> throw Machines.toCim(e);
            };
        }
    }
}
