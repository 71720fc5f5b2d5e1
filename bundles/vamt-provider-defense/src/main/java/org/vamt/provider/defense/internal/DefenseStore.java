package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves a VM's {@link DefenseState} (domain metadata, key {@value #METADATA_KEY}) and
 * keeps the VM's NIC links in line with it: when a change makes an isolating policy active, every
 * NIC's link goes down and the previous link states are kept; when no isolating policy is active
 * any more, exactly the links that were up come back. A change whose link update fails is undone
 * and nothing is stored. Changes of one VM are serialized across the components of this bundle.
 */
final class DefenseStore {
    static final String METADATA_KEY = "defense.state";
    private static final Logger LOG = LoggerFactory.getLogger(DefenseStore.class);
    private static final ConcurrentMap<String, Object> LOCKS = new ConcurrentHashMap<>();

    /** A change of the state; the result goes back to the caller once it is stored. */
    @FunctionalInterface
    interface Change<T> {
        T apply(DefenseState state) throws CimException;
    }

    private final Hypervisor hypervisor;

    DefenseStore(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    /** The VM's current state. */
    DefenseState load(MachineInfo vm) throws CimException {
        String text;
        try {
            text = hypervisor.metadata(vm.uuid(), METADATA_KEY).orElse(null);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        try {
            return DefenseState.parse(text);
        } catch (RuntimeException e) {
            LOG.error("VM {} ({}): stored system defense state (metadata '{}') is unreadable: {}", vm.name(), vm.uuid(),
                    METADATA_KEY, e.toString());
            throw new CimException(CimStatus.FAILED, "the stored system defense state of VM " + vm.name()
                    + " is unreadable", e);
        }
    }

    /**
     * Applies a change: loads the state, lets {@code change} modify a copy, brings the NIC links in
     * line and stores the result. Nothing is stored (and links are put back) when any step fails.
     */
    <T> T update(MachineInfo vm, Change<T> change) throws CimException {
        synchronized (LOCKS.computeIfAbsent(vm.uuid(), k -> new Object())) {
            DefenseState before = load(vm);
            DefenseState after = before.copy();
            T result = change.apply(after);
            List<LinkChange> done = new ArrayList<>();
            boolean wasIsolated = before.savedLinks() != null;
            List<Integer> isolating = after.isolatingPorts();
            if (!wasIsolated && !isolating.isEmpty()) {
                after.setSavedLinks(isolate(vm, isolating, done));
            } else if (wasIsolated && isolating.isEmpty()) {
                restore(vm, before.savedLinks(), done);
                after.setSavedLinks(null);
            }
            String text = after.format();
            if (!Objects.equals(text, before.format())) {
                try {
                    hypervisor.setMetadata(vm.uuid(), METADATA_KEY, text);
                } catch (HypervisorException e) {
                    undo(vm, done);
                    throw Machines.toCim(e);
                }
            }
            return result;
        }
    }

    /** A link state this update set, to be undone when a later step fails. */
    private record LinkChange(String mac, boolean up) {
    }

    /** Sets every NIC's link down; returns the link states before (MAC as 12 hex digits → up). */
    private Map<String, Boolean> isolate(MachineInfo vm, List<Integer> ports, List<LinkChange> done)
            throws CimException {
        MachineHardware hw = hardware(vm);
        Map<String, Boolean> saved = new LinkedHashMap<>();
        for (Nic nic : hw.nics()) {
            String address = EthernetPorts.address(nic.mac());
            if (address == null) {
                throw new CimException(CimStatus.NOT_SUPPORTED, "VM " + vm.name() + " cannot be isolated: a NIC has no"
                        + " MAC address, so its link cannot be set down");
            }
            saved.put(address, nic.linkUp());
        }
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
        return saved;
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
