package org.vamt.hypervisor;

/** Power states as hypervisors report them (libvirt's virDomainState). */
public enum MachineState {
    NO_STATE, RUNNING, BLOCKED, PAUSED, SHUTTING_DOWN, SHUT_OFF, CRASHED, SUSPENDED;

    /** True when the guest has power: anything but off or crashed. */
    public boolean isOn() {
        return this != SHUT_OFF && this != CRASHED;
    }
}
