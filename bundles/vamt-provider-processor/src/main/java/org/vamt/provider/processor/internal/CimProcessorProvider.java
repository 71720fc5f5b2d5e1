package org.vamt.provider.processor.internal;

import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.model.CIM_Processor;
import org.vamt.cim.model.CIM_ProcessorProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/** The same vCPUs as the standard CIM_Processor that AMT consoles read. */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_Processor",
    CimProvider.REALM_PREFIX + "CIM_Processor=4"})
public class CimProcessorProvider extends CIM_ProcessorProviderSkeleton {
    /** The 100 MHz base clock of current x86 platforms, when the host does not tell its bus clock. */
    static final int DEFAULT_BUS_MHZ = 100;

    private final Hypervisor hypervisor;

    @Activate
    public CimProcessorProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<CIM_Processor> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        MachineHardware.Cpu cpu;
        try {
            cpu = hypervisor.hardware(vm.uuid()).cpu();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        boolean poweredOn = vm.state().isOn();
        List<CIM_Processor> list = new ArrayList<>(vm.maxVcpus());
        for (int n = 0; n < vm.maxVcpus(); n++) {
            boolean enabled = n < vm.onlineVcpus();
            list.add(new CIM_Processor()
                    .setCreationClassName(CIM_Processor.CLASS_NAME)
                    .setDeviceID("CPU " + n)
                    .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                    .setSystemName(AmtNames.MANAGED_SYSTEM)
                    .setElementName("Managed System CPU")
                    // CPUStatus 1 = enabled, 2 = disabled by user; 0 = unknown (host off).
                    .setCPUStatus(!poweredOn ? 0 : enabled ? 1 : 2)
                    .setEnabledState(enabled ? 2 : 3)
                    .setFamily(2)
                    .setHealthState(5)
                    .setOperationalStatus(0)
                    // 12 not applicable; 3 or 2 while a disable or enable waits for the next power cycle
                    .setRequestedState(!vm.vcpuChangePending(n) ? 12 : n < vm.nextStartVcpus() ? 2 : 3)
                    .setRole("Central")
                    // A vCPU runs at the host's clock: the current one from the host, the maximum,
                    // bus clock and stepping from the host's SMBIOS when it tells them.
                    .setCurrentClockSpeed(cpu.mhz())
                    .setMaxClockSpeed(cpu.maxMhz() > 0 ? cpu.maxMhz() : cpu.mhz())
                    .setExternalBusClockSpeed(cpu.busMhz() > 0 ? cpu.busMhz() : DEFAULT_BUS_MHZ)
                    .setStepping(cpu.stepping() == null ? "" : cpu.stepping())
                    // 1 "Other": the processor upgrade QEMU's SMBIOS tables give a guest
                    .setUpgradeMethod(1)
                    // AMT copies the SMBIOS family string, empty unless Family is 1 (Other)
                    .setOtherFamilyDescription(""));
        }
        return list;
    }
}
