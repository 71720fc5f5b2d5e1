package org.vamt.provider.boot.internal;

import org.vamt.hypervisor.BootDevice;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.model.AMT_BootSettingData;
import org.vamt.cim.model.AMT_BootSettingDataProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMT_BootSettingData, the singleton "Intel(r) AMT:BootSettingData 0": the options for the next
 * boot AMT causes. Clients Get it, change it and Put it back before ChangeBootOrder and the power
 * action. UseIDER (with IDERBootDevice 1, the CD) makes the next start boot once from the CD image of a
 * live IDE-R session: the one-time boot device {@link BootDevice#IDER_CDROM}, set and cleared with
 * UseIDER. What vAMT cannot do (BIOS setup/pause, locks, reflash, secure erase…) is accepted
 * only when false, as AMT_BootCapabilities says; a true value is refused (INVALID_PARAMETER, which
 * WS-Management reports as wxf:InvalidRepresentation) and nothing is stored.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_BootSettingData",
    CimProvider.REALM_PREFIX + "AMT_BootSettingData=5"})
public class BootSettingDataProvider extends AMT_BootSettingDataProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(BootSettingDataProvider.class);

    private final Hypervisor hypervisor;

    @Activate
    public BootSettingDataProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<AMT_BootSettingData> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        try {
            return List.of(BootSettings.load(hypervisor, vm.uuid()).toTyped());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        // Only what the client changed (compared with the instance the CIMOM read) is applied, to the
        // value stored now, as a compare-and-set: another gateway's concurrent change is kept.
        java.util.function.Function<String, Object> changed = name -> {
            Object w = modified.get(name);
            return java.util.Objects.equals(w, current.get(name)) ? null : w;
        };
        try {
            BootSettings wanted;
            BootSettings before = BootSettings.load(hypervisor, vm.uuid());
            try {
                wanted = new StateStore<>(hypervisor, BootSettings.STATE).modify(vm.uuid(),
                        stored -> BootSettings.from(changed, stored));
            } catch (CimException e) {
                LOG.info("VM {} ({}): AMT_BootSettingData Put by {} refused: {}", vm.name(), vm.uuid(), ctx.user(),
                        e.getMessage());
                throw e;
            }
            LOG.info("VM {} ({}): boot settings for the next boot after a Put by {}: {}", vm.name(), vm.uuid(),
                    ctx.user(), wanted.serialize());
            if (wanted.useIder()) {
                hypervisor.setNextBootDevice(vm.uuid(), BootDevice.IDER_CDROM);
            } else if (before.useIder()
                    && hypervisor.nextBootDevice(vm.uuid()).orElse(null) == BootDevice.IDER_CDROM) {
                hypervisor.setNextBootDevice(vm.uuid(), null);
            }
            return wanted.toTyped().toInstance();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
