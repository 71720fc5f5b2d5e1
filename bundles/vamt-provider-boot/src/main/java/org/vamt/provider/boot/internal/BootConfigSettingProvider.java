package org.vamt.provider.boot.internal;

import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.CIM_BootConfigSetting;
import org.vamt.cim.model.CIM_BootConfigSettingProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIM_BootConfigSetting "Intel(r) AMT: Boot Configuration 0". ChangeBootOrder(Source) sets the
 * device of the VM's next start ({@link Hypervisor#setNextBootDevice}), ChangeBootOrder() without
 * a source clears it. The device is kept with the VM and used by the next power-on (or power cycle)
 * whatever the order of the client's calls, then dropped by the hypervisor.
 *
 * <p>ReturnValues (the method's ValueMap): 0 done; 1 Not Supported for an AMT boot source vAMT
 * does not offer (diagnostic, One Click Recovery) or a device the hypervisor cannot force;
 * 4 Invalid Reference when a Source is not one of the listed CIM_BootSourceSetting instances;
 * 5 Invalid Parameter for more than one Source (AMT forces one device, not an order).
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_BootConfigSetting",
    CimProvider.REALM_PREFIX + "CIM_BootConfigSetting=5"})
public class BootConfigSettingProvider extends CIM_BootConfigSettingProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(BootConfigSettingProvider.class);

    static final long COMPLETED = 0;
    static final long NOT_SUPPORTED = 1;
    static final long INVALID_REFERENCE = 4;
    static final long INVALID_PARAMETER = 5;

    private final Hypervisor hypervisor;

    @Activate
    public BootConfigSettingProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<CIM_BootConfigSetting> enumerate(RequestContext ctx) {
        return List.of(config());
    }

    static CIM_BootConfigSetting config() {
        return new CIM_BootConfigSetting()
                .setInstanceID(BootNames.CONFIG_ID)
                .setElementName(BootNames.CONFIG_NAME);
    }

    @Override
    protected MethodResult ChangeBootOrder(RequestContext ctx, CimObjectPath target, List<CimObjectPath> sources)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        List<CimObjectPath> given = sources == null ? List.of() : sources;
        BootDevice device = null;
        long rv = COMPLETED;
        if (given.size() > 1) {
            rv = INVALID_PARAMETER;
        } else if (given.size() == 1) {
            String id = BootNames.sourceId(given.get(0));
            Optional<BootNames.Source> source = BootNames.Source.byInstanceId(id);
            if (source.isPresent()) {
                device = source.get().device;
            } else {
                rv = id != null && id.startsWith(BootNames.SOURCE_PREFIX) ? NOT_SUPPORTED : INVALID_REFERENCE;
            }
        }
        if (rv == COMPLETED) {
            rv = apply(vm, device);
        }
        LOG.info("VM {} ({}): ChangeBootOrder({}) by {} -> ReturnValue {}", vm.name(), vm.uuid(),
                given.isEmpty() ? "" : given, ctx.user(), rv);
        return MethodResult.of(rv);
    }

    private long apply(MachineInfo vm, BootDevice device) throws CimException {
        try {
            if (device == null && BootSettings.load(hypervisor, vm.uuid()).useIder()) {
                // consoles clear the boot order around their UseIDER Put, in either order: UseIDER stays
                device = BootDevice.IDER_CDROM;
            }
            hypervisor.setNextBootDevice(vm.uuid(), device);
            return COMPLETED;
        } catch (HypervisorException e) {
            return switch (e.reason()) {
                case UNSUPPORTED -> NOT_SUPPORTED;
                case INVALID_ARGUMENT -> INVALID_PARAMETER;
                default -> throw Machines.toCim(e);
            };
        }
    }
}
