package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.hypervisor.state.Versioned;
import org.vamt.provider.defense.DefenseSettings;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves a VM's defense state ({@link DefenseSettings}, typed per-VM state, namespace
 * {@code defense}) and keeps the VM's NIC links in line with it: when a change makes an isolating
 * policy active, every NIC's link goes down and the previous link states are kept; when no
 * isolating policy is active any more, exactly the links that were up come back.
 *
 * <p>Writes are a compare-and-set on the state's generation, so concurrent changes from other
 * gateways or components are never lost: the loser reads again and re-applies its change. The
 * state is stored first and the links follow it; a link change that fails puts the state back
 * (again compare-and-set) and the links it changed, and the change is refused.
 */
final class DefenseStore {
    private static final Logger LOG = LoggerFactory.getLogger(DefenseStore.class);

    /** A change of the state; the result goes back to the caller once it is stored. May run more than once. */
    @FunctionalInterface
    interface Change<T> {
        T apply(DefenseState state) throws CimException;
    }

    private final Hypervisor hypervisor;
    private final StateStore<DefenseSettings> store;

    DefenseStore(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new StateStore<>(hypervisor, DefenseSettings.STATE);
    }

    /** The VM's current state. */
    DefenseState load(MachineInfo vm) throws CimException {
        return DefenseState.from(read(vm).value());
    }

    private Versioned<DefenseSettings> read(MachineInfo vm) throws CimException {
        try {
            return store.read(vm.uuid());
        } catch (HypervisorException e) {
            if (e.reason() == HypervisorException.Reason.FAILED) {
                LOG.error("VM {} ({}): {}", vm.name(), vm.uuid(), e.getMessage());
                throw new CimException(CimStatus.FAILED, "the stored system defense state of VM " + vm.name()
                        + " is unreadable", e);
            }
            throw Machines.toCim(e);
        } catch (RuntimeException e) {
            LOG.error("VM {} ({}): stored system defense state is unreadable: {}", vm.name(), vm.uuid(), e.toString());
            throw new CimException(CimStatus.FAILED, "the stored system defense state of VM " + vm.name()
                    + " is unreadable", e);
        }
    }

    /**
     * Applies a change: reads the state, lets {@code change} modify a copy, stores it if the state
     * is still the one read (else again from a fresh read), then brings the NIC links in line.
     */
    <T> T update(MachineInfo vm, Change<T> change) throws CimException {
        for (int attempt = 1; ; attempt++) {
            Versioned<DefenseSettings> read = read(vm);
            DefenseState before;
            try {
                before = DefenseState.from(read.value());
            } catch (RuntimeException e) {
                throw new CimException(CimStatus.FAILED, "the stored system defense state of VM " + vm.name()
                        + " is unreadable", e);
            }
            DefenseState after = before.copy();
            T result = change.apply(after);
            boolean wasIsolated = before.savedLinks() != null;
            List<Integer> isolating = after.isolatingPorts();
            boolean isolate = !wasIsolated && !isolating.isEmpty();
            boolean lift = wasIsolated && isolating.isEmpty();
            MachineHardware hw = null;
            if (isolate) {
                hw = hardware(vm);
                after.setSavedLinks(linkStates(vm, hw));
            } else if (lift) {
                after.setSavedLinks(null);
            }
            DefenseSettings next = after.toSettings();
            long generation = read.generation();
            if (!next.equals(read.value())) {
                try {
                    generation = store.write(vm.uuid(), next, read.generation());
                } catch (HypervisorException e) {
                    if (e.reason() == HypervisorException.Reason.CONFLICT && attempt < StateStore.MAX_ATTEMPTS) {
                        LOG.debug("VM {} ({}): defense state changed meanwhile; applying the change again", vm.name(),
                                vm.uuid());
                        continue;
                    }
                    throw Machines.toCim(e);
                }
            }
            // stored: now the links follow the state
            List<LinkChange> done = new ArrayList<>();
            try {
                if (isolate) {
                    isolate(vm, hw, isolating, after.savedLinks(), done);
                } else if (lift) {
                    restore(vm, before.savedLinks(), done);
                }
            } catch (CimException e) {
                putBack(vm, read.value(), generation);
                throw e;
            }
            return result;
        }
    }

    /** After a failed link change: the state as it was, unless someone changed it meanwhile. */
    private void putBack(MachineInfo vm, DefenseSettings previous, long generation) {
        try {
            store.write(vm.uuid(), previous, generation);
        } catch (HypervisorException e) {
            LOG.warn("VM {} ({}): the defense state could not be put back after a failed link change: {}", vm.name(),
                    vm.uuid(), e.getMessage());
        }
    }

    /** A link state this update set, to be undone when a later step fails. */
    private record LinkChange(String mac, boolean up) {
    }

    /** The NICs' link states now (MAC as 12 hex digits → up); NOT_SUPPORTED when a NIC has no MAC. */
    private static Map<String, Boolean> linkStates(MachineInfo vm, MachineHardware hw) throws CimException {
        Map<String, Boolean> saved = new LinkedHashMap<>();
        for (Nic nic : hw.nics()) {
            String address = EthernetPorts.address(nic.mac());
            if (address == null) {
                throw new CimException(CimStatus.NOT_SUPPORTED, "VM " + vm.name() + " cannot be isolated: a NIC has no"
                        + " MAC address, so its link cannot be set down");
            }
            saved.put(address, nic.linkUp());
        }
        return saved;
    }

    /** Sets every NIC's link down (those up in {@code hw}); on failure puts back what it changed. */
    private void isolate(MachineInfo vm, MachineHardware hw, List<Integer> ports, Map<String, Boolean> saved,
                         List<LinkChange> done) throws CimException {
        for (Nic nic : hw.nics()) {
            if (!nic.linkUp()) {
                continue;
            }
            done.add(new LinkChange(nic.mac(), true));   // undo also a half-done change (e.g. definition only)
            try {
                hypervisor.setNicLink(vm.uuid(), nic.mac(), false);
            } catch (HypervisorException e) {
                undo(vm, done);
                throw logged(vm, linkFailure("cannot isolate VM " + vm.name(), e));
            }
        }
        LOG.info("VM {} ({}): system defense isolates the VM (isolating policy active on port(s) {}): link down on"
                + " every NIC; links before: {}", vm.name(), vm.uuid(), ports, describe(saved));
    }

    /** Sets up again the links that were up before isolation; the others stay as they are. */
    private void restore(MachineInfo vm, Map<String, Boolean> saved, List<LinkChange> done) throws CimException {
        MachineHardware hw = hardware(vm);
        List<String> restored = new ArrayList<>();
        for (Nic nic : hw.nics()) {
            String address = EthernetPorts.address(nic.mac());
            if (address == null || !Boolean.TRUE.equals(saved.get(address)) || nic.linkUp()) {
                continue;
            }
            done.add(new LinkChange(nic.mac(), false));
            try {
                hypervisor.setNicLink(vm.uuid(), nic.mac(), true);
                restored.add(nic.mac());
            } catch (HypervisorException e) {
                undo(vm, done);
                throw logged(vm, linkFailure("cannot lift the isolation of VM " + vm.name()
                        + " (the policy stays on the port)", e));
            }
        }
        LOG.info("VM {} ({}): system defense isolation lifted: link up again on {}; links before isolation: {}",
                vm.name(), vm.uuid(), restored.isEmpty() ? "no NIC" : restored, describe(saved));
    }

    /** Puts back the links changed so far, newest first; failures are logged, the original error counts. */
    private void undo(MachineInfo vm, List<LinkChange> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            LinkChange c = done.get(i);
            try {
                hypervisor.setNicLink(vm.uuid(), c.mac(), c.up());
            } catch (HypervisorException e) {
                if (e.reason() == HypervisorException.Reason.UNSUPPORTED) {
                    // e.g. a driver that changes only the persistent definition: that part is put back
                    LOG.info("VM {} ({}): putting the link of {} back {}: {}", vm.name(), vm.uuid(), c.mac(),
                            c.up() ? "up" : "down", e.getMessage());
                } else {
                    LOG.warn("VM {} ({}): could not put the link of {} back {}: {}", vm.name(), vm.uuid(), c.mac(),
                            c.up() ? "up" : "down", e.getMessage());
                }
            }
        }
        done.clear();
    }

    private MachineHardware hardware(MachineInfo vm) throws CimException {
        try {
            return hypervisor.hardware(vm.uuid());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /** The CIM error for a failed link change; UNSUPPORTED says plainly that link state cannot be changed here. */
    private static CimException linkFailure(String what, HypervisorException e) {
        if (e.reason() == HypervisorException.Reason.UNSUPPORTED) {
            return new CimException(CimStatus.NOT_SUPPORTED, "System defense " + what + ": the hypervisor cannot"
                    + " change the link state of its NICs now (" + e.getMessage() + "); nothing was changed", e);
        }
        CimException c = Machines.toCim(e);
        return new CimException(c.status(), "System defense " + what + ": " + e.getMessage() + "; nothing was changed",
                e);
    }

    private static CimException logged(MachineInfo vm, CimException e) {
        LOG.info("VM {} ({}): change refused: {}", vm.name(), vm.uuid(), e.getMessage());
        return e;
    }

    private static String describe(Map<String, Boolean> links) {
        List<String> out = new ArrayList<>();
        links.forEach((mac, up) -> out.add(mac + (up ? " up" : " down")));
        return out.isEmpty() ? "(no NIC)" : String.join(", ", out);
    }
}
