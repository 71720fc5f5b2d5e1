package org.vamt.provider.redirection.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.model.IPS_ScreenSettingData;
import org.vamt.cim.model.IPS_ScreenSettingDataProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;

/**
 * IPS_ScreenSettingData, the screens AMT's KVM sees, in AMT's shape: four entries, screen 1 the
 * primary. A VM has one screen, the display its KVM session shows (the VNC display of the domain):
 * active while the VM is on, none while it is off. Its resolution is the guest's video mode, which
 * vAMT does not know (it learns it only when a viewer connects), so it reads 0, as do the three
 * absent screens, whose position AMT reports as -1. Read-only.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=IPS_ScreenSettingData",
    CimProvider.REALM_PREFIX + "IPS_ScreenSettingData=2"})
public class ScreenSettingsProvider extends IPS_ScreenSettingDataProviderSkeleton {
    static final String INSTANCE_ID = "Intel(r) Screen Settings";

    private final Hypervisor hypervisor;

    @Activate
    public ScreenSettingsProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<IPS_ScreenSettingData> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        boolean on = vm.state().isOn();
        return List.of(new IPS_ScreenSettingData()
                .setInstanceID(INSTANCE_ID)
                .setElementName(INSTANCE_ID)
                .setIsActive(List.of(on, false, false, false))
                .setResolutionX(0, 0, 0, 0)
                .setResolutionY(0, 0, 0, 0)
                .setUpperLeftX(on ? 0 : -1, -1, -1, -1)
                .setUpperLeftY(on ? 0 : -1, -1, -1, -1)
                .setPrimaryIndex(1)
                .setSecondaryIndex(2)
                .setTertiaryIndex(3)
                .setQuadraryIndex(4));
    }
}
