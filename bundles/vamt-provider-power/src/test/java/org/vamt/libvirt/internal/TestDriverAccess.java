package org.vamt.libvirt.internal;

import org.libvirt.Domain;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineListener;

/**
 * Test-only access to the package-private parts of {@link LibvirtHypervisor} that
 * {@link DemoHypervisor} does not offer. It sits in the hypervisor's package (same class loader on
 * the test class path), as DemoHypervisor does.
 */
public final class TestDriverAccess {
    private TestDriverAccess() {
    }

    /** Binds a whiteboard listener as Declarative Services would. */
    public static void addMachineListener(DemoHypervisor demo, MachineListener listener) {
        ((LibvirtHypervisor) demo.hypervisor()).addMachineListener(listener);
    }

    /** Pauses a running machine (virDomainSuspend), which the Hypervisor SPI does not do. */
    public static void pause(DemoHypervisor demo, String uuid) throws HypervisorException {
        ((LibvirtHypervisor) demo.hypervisor()).connection().call("pause", uuid, c -> {
            Domain d = c.domainLookupByUUIDString(uuid);
            try {
                d.suspend();
            } finally {
                d.free();
            }
            return null;
        });
    }
}
