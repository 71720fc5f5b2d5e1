package org.vamt.hypervisor;

/**
 * Whiteboard service: register one to hear about machine lifecycle changes. Called from the
 * hypervisor's event thread; return quickly.
 */
@FunctionalInterface
public interface MachineListener {
    void machineChanged(MachineEvent event);
}
