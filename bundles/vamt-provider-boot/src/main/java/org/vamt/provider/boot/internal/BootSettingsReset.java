package org.vamt.provider.boot.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMT boot options are one-shot: the BIOS reads them on the next boot and AMT clears them. A VM's
 * start plays that boot, so when a VM starts its stored AMT_BootSettingData goes back to the
 * defaults. (The one-time boot device is the hypervisor's, which drops it itself.)
 */
@Component(service = MachineListener.class)
public class BootSettingsReset implements MachineListener {
    private static final Logger LOG = LoggerFactory.getLogger(BootSettingsReset.class);

    private final Hypervisor hypervisor;

    @Activate
    public BootSettingsReset(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public void machineChanged(MachineEvent event) {
        if (event.type() != MachineEvent.Type.STARTED) {
            return;
        }
        try {
            StateStore<BootSettings> store = new StateStore<>(hypervisor, BootSettings.STATE);
            if (!store.get(event.uuid()).equals(BootSettings.DEFAULTS)) {
                store.clear(event.uuid());
                LOG.info("VM {} ({}) started: its one-shot AMT boot settings are cleared", event.name(), event.uuid());
            }
        } catch (HypervisorException e) {
            LOG.warn("VM {} ({}) started, but its AMT boot settings could not be cleared: {}", event.name(),
                    event.uuid(), e.getMessage());
        }
    }
}
