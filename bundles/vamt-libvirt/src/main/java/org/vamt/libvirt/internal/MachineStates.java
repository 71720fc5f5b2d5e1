package org.vamt.libvirt.internal;

import java.util.Optional;
import java.util.Set;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.StateEntry;
import org.vamt.hypervisor.state.StateJson;

/**
 * Per-VM state in the domain's {@code <metadata>} ({@link DomainMetadata}): the typed namespaces
 * providers own, compared and written under the machine's lock (a real compare-and-set for every
 * caller of this process, and through vamt-remote for every gateway), and vamt-libvirt's own
 * namespace {@value DomainMetadata#BOOT_NAMESPACE}, the pending one-time boot device. JSON is never
 * logged (it may hold sealed secrets).
 */
final class MachineStates {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);

    /** vamt-libvirt's own state: the device for the next start only. */
    record PendingBoot(String device) {
    }

    private final Domains domains;

    MachineStates(Domains domains) {
        this.domains = domains;
    }

    StateEntry readState(String uuid, String namespace, Set<String> legacyKeys) throws HypervisorException {
        String id = Domains.canonical(uuid);
        DomainMetadata.checkNamespace(namespace);
        Set<String> wanted = legacyKeys == null ? Set.of() : legacyKeys;
        synchronized (domains.lock(id)) {
            return domains.withDomain("readState", id, (c, d) -> {
                DomainMetadata.Contents all = DomainMetadata.read(d);
                DomainMetadata.Stored s = all.states.get(namespace);
                java.util.Map<String, String> legacy = new java.util.LinkedHashMap<>();
                for (String k : wanted) {
                    String v = all.legacy.get(k);
                    if (v != null) {
                        legacy.put(k, v);
                    }
                }
                return new StateEntry(namespace, s == null ? 0 : s.generation(), s == null ? null : s.json(), legacy);
            });
        }
    }

    long writeState(String uuid, String namespace, long expectedGeneration, String json, Set<String> dropLegacyKeys)
            throws HypervisorException {
        String id = Domains.canonical(uuid);
        DomainMetadata.checkNamespace(namespace);
        if (json != null) {
            DomainMetadata.checkJson(namespace, json);
        }
        if (expectedGeneration < 0) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "writeState: generation " + expectedGeneration
                    + " is negative");
        }
        Set<String> drop = dropLegacyKeys == null ? Set.of() : dropLegacyKeys;
        synchronized (domains.lock(id)) {
            return domains.withDomain("writeState", id, (c, d) -> {
                String who = Domains.describe(d);
                DomainMetadata.Contents all = DomainMetadata.read(d);
                DomainMetadata.Stored s = all.states.get(namespace);
                long current = s == null ? 0 : s.generation();
                if (current != expectedGeneration) {
                    LOG.debug("writeState {}: '{}' is at generation {}, not {}: conflict", who, namespace, current,
                            expectedGeneration);
                    throw new HypervisorException(Reason.CONFLICT, "state '" + namespace + "' of " + who
                            + " changed meanwhile (generation " + current + ", expected " + expectedGeneration
                            + "); read it again and retry");
                }
                long next = current + 1;
                if (json == null) {
                    all.states.remove(namespace);
                } else {
                    all.states.put(namespace, new DomainMetadata.Stored(next, json));
                }
                boolean dropped = all.legacy.keySet().removeAll(drop);
                DomainMetadata.write(d, all);
                LOG.debug("writeState {}: '{}' {} (generation {}){}", who, namespace, json == null ? "removed" : "written",
                        json == null ? 0 : next, dropped ? ", old-format keys " + drop + " dropped" : "");
                return json == null ? 0L : next;
            });
        }
    }

    void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        String id = Domains.canonical(uuid);
        synchronized (domains.lock(id)) {
            domains.withDomain("setNextBootDevice", id, (c, d) -> {
                String who = Domains.describe(d);
                DomainMetadata.Contents all = DomainMetadata.read(d);
                boolean had = all.states.containsKey(DomainMetadata.BOOT_NAMESPACE)
                        || all.legacy.containsKey(DomainMetadata.BOOT_NEXT);
                DomainMetadata.Stored s = all.states.get(DomainMetadata.BOOT_NAMESPACE);
                all.legacy.remove(DomainMetadata.BOOT_NEXT);
                if (device == null) {
                    all.states.remove(DomainMetadata.BOOT_NAMESPACE);
                } else {
                    all.states.put(DomainMetadata.BOOT_NAMESPACE, new DomainMetadata.Stored(
                            (s == null ? 0 : s.generation()) + 1, StateJson.write(new PendingBoot(device.name()))));
                }
                if (had || device != null) {
                    DomainMetadata.write(d, all);
                }
                if (device == null) {
                    LOG.info("setNextBootDevice {}: one-time boot device cleared{}", who, had ? "" : " (none was set)");
                } else {
                    LOG.info("setNextBootDevice {}: next start boots once from {}", who, device);
                }
                return null;
            });
        }
    }

    Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        synchronized (domains.lock(id)) {
            return domains.withDomain("nextBootDevice", id,
                    (c, d) -> Optional.ofNullable(pendingBootDevice(d, Domains.describe(d))));
        }
    }

    /**
     * The pending one-time boot device, or null (none, or an unknown value, which is logged). The old
     * untyped key {@value DomainMetadata#BOOT_NEXT} is still honoured; the next write replaces it.
     */
    BootDevice pendingBootDevice(Domain d, String who) throws LibvirtException, HypervisorException {
        DomainMetadata.Contents all = DomainMetadata.read(d);
        DomainMetadata.Stored s = all.states.get(DomainMetadata.BOOT_NAMESPACE);
        String value;
        if (s != null) {
            try {
                value = StateJson.read(s.json(), PendingBoot.class).device();
            } catch (IllegalArgumentException e) {
                LOG.warn("{}: ignoring an unreadable one-time boot device in the metadata: {}", who, e.getMessage());
                return null;
            }
        } else {
            value = all.legacy.get(DomainMetadata.BOOT_NEXT);
        }
        if (value == null) {
            return null;
        }
        try {
            return BootDevice.valueOf(value.trim());
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: ignoring unknown one-time boot device '{}' in the metadata", who, value);
            return null;
        }
    }

    /** Drops the pending device (both forms). Caller holds the machine's lock. */
    void clearPendingBootDevice(Domain d) throws LibvirtException, HypervisorException {
        DomainMetadata.Contents all = DomainMetadata.read(d);
        boolean a = all.states.remove(DomainMetadata.BOOT_NAMESPACE) != null;
        boolean b = all.legacy.remove(DomainMetadata.BOOT_NEXT) != null;
        if (a || b) {
            DomainMetadata.write(d, all);
        }
    }
}
