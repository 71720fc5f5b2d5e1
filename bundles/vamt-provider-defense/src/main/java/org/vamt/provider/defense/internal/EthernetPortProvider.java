package org.vamt.provider.defense.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.model.CIM_EthernetPort;
import org.vamt.cim.model.CIM_EthernetPortProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;

/**
 * CIM_EthernetPort: one "Intel(r) AMT Ethernet Port n" per NIC of the VM's definition, in
 * definition order, with its MAC as NetworkAddresses, its link state as OperationalStatus (2 up,
 * 15 down) and its model's nominal Speed / MaxSpeed / PortType. These are the ports system defense policies are put on.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_EthernetPort",
    CimProvider.REALM_PREFIX + "CIM_EthernetPort=11"})
public class EthernetPortProvider extends CIM_EthernetPortProviderSkeleton {
    private final Hypervisor hypervisor;

    @Activate
    public EthernetPortProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<CIM_EthernetPort> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        try {
            return EthernetPorts.of(hypervisor.hardware(vm.uuid()));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
