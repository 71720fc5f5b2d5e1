package org.vamt.libvirt.internal;

import org.vamt.hypervisor.MachineListener;

/**
 * Test-only: binds a whiteboard {@link MachineListener} to the demo hypervisor as Declarative
 * Services would (the bind method is package-private). It sits in the hypervisor's package, as
 * {@link DemoHypervisor} does.
 */
public final class BootListenerAccess {
    private BootListenerAccess() {
    }

    public static void addMachineListener(DemoHypervisor demo, MachineListener listener) {
        ((LibvirtHypervisor) demo.hypervisor()).addMachineListener(listener);
    }
}
