package org.vamt.hypervisor;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The hypervisor as vAMT providers see it. Machines are identified by their UUID (lower-case,
 * canonical form), which is stable across renames and restarts.
 *
 * <p>Lifecycle changes are delivered to {@link MachineListener} services (OSGi whiteboard).
 * Power operations return once the hypervisor accepted them; graceful ones (ACPI) may take
 * effect later or never, depending on the guest.
 */
public interface Hypervisor {

    /** Every defined machine, running or not. */
    List<MachineInfo> listMachines() throws HypervisorException;

    /**
     * Every defined machine's UUID and name: for callers that need no state. An
     * implementation that reads each machine's state for {@link #listMachines()} (libvirt: about
     * seven calls a machine) answers this with one listing, which matters with 10,000 machines.
     */
    default List<MachineId> listMachineIds() throws HypervisorException {
        return listMachines().stream().map(m -> new MachineId(m.uuid(), m.name())).toList();
    }

    /** One machine by UUID, or empty when no such machine is defined. */
    Optional<MachineInfo> machine(String uuid) throws HypervisorException;

    /** The machine's current definition (libvirt domain XML), for diagnostics. */
    String definitionXml(String uuid) throws HypervisorException;

    /** The machine's virtual hardware from its current definition; right while it is off too. */
    MachineHardware hardware(String uuid) throws HypervisorException;

    /** Starts a shut-off machine; resumes a paused one. */
    void powerOn(String uuid) throws HypervisorException;

    /** Immediate power-off (pulls the plug). */
    void powerOff(String uuid) throws HypervisorException;

    /** Asks the guest to shut down (ACPI power button). Returns without waiting. */
    void shutdown(String uuid) throws HypervisorException;

    /** Asks the guest to reboot (ACPI). Returns without waiting. */
    void reboot(String uuid) throws HypervisorException;

    /** Hard reset, like the reset button. */
    void reset(String uuid) throws HypervisorException;

    /**
     * Sets the number of online vCPUs, between 1 and {@link MachineInfo#maxVcpus()}. Applies to the
     * running machine when it runs (hot-plug), and to its persistent definition in any case. Where
     * the hypervisor cannot remove vCPUs from a running machine (QEMU without hardware
     * virtualization), a lower count changes the definition only: the machine keeps its vCPUs until
     * the next power cycle, and {@link MachineInfo#nextStartVcpus()} shows the pending count.
     */
    void setOnlineVcpus(String uuid, int count) throws HypervisorException;

    /** Injects a non-maskable interrupt (AMT's diagnostic interrupt). */
    void injectNmi(String uuid) throws HypervisorException;

    /**
     * Asks the guest to suspend to RAM (S3) or to disk (S4). Needs the guest's cooperation
     * (e.g. the QEMU guest agent); UNSUPPORTED when the guest or driver cannot.
     */
    void suspend(String uuid, boolean toDisk) throws HypervisorException;

    /**
     * Sets (or, with null, clears) the device for the next start only. It is kept with the machine
     * (survives vAMT restarts), applied when the machine is next started through
     * {@link #powerOn}, and cleared once used; the normal boot order stays as it was.
     */
    void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException;

    /** The pending one-time boot device, if any. */
    java.util.Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException;

    /**
     * One namespace of the machine's per-VM state as stored: JSON text and its generation
     * (0 and no JSON when nothing is stored). Kept with the machine's definition, so it survives
     * restarts and travels with the VM. {@code legacyKeys}: keys of the old untyped form (before
     * typed state) the caller can migrate; those present come back in {@link StateEntry#legacy()}.
     * Providers use {@link org.vamt.hypervisor.state.StateStore}, not this.
     */
    StateEntry readState(String uuid, String namespace, java.util.Set<String> legacyKeys) throws HypervisorException;

    /**
     * Compare-and-set of one namespace: stores {@code json} (null removes the namespace) if its
     * generation is still {@code expectedGeneration}, and returns the new generation; otherwise
     * fails with {@link HypervisorException.Reason#CONFLICT} and changes nothing. The compare and
     * the write happen under the machine's lock where the machine lives (on the node, for a
     * gateway), so concurrent writers from any number of gateways cannot lose an update. The
     * old-form keys in {@code dropLegacyKeys} are removed in the same write (migration).
     */
    long writeState(String uuid, String namespace, long expectedGeneration, String json,
                    java.util.Set<String> dropLegacyKeys) throws HypervisorException;

    /** Sets a NIC's link up or down (by MAC address), live and in the definition. */
    void setNicLink(String uuid, String mac, boolean up) throws HypervisorException;

    /**
     * The IPv4 settings of the running machine's NIC with this MAC (any case, colons or hyphens),
     * as the host knows them (libvirt: the DHCP lease of its network, else the guest agent); empty
     * while the machine is off or when the host does not know them.
     */
    default Optional<NicAddress> nicAddress(String uuid, String mac) throws HypervisorException {
        return Optional.empty();
    }

    /**
     * Opens the running machine's first serial console (libvirt: virDomainOpenConsole), taking it
     * over from any other client holding it. INVALID_STATE when the machine is not running,
     * UNSUPPORTED when the driver has no consoles. The caller closes it.
     */
    default SerialConsole openConsole(String uuid) throws HypervisorException {
        throw new HypervisorException(HypervisorException.Reason.UNSUPPORTED, "no serial console access");
    }

    /**
     * Where the running machine's VNC display listens (from its live definition), as an address
     * this process can connect to; empty when the machine has no VNC display. INVALID_STATE when it
     * is not running.
     */
    default java.util.Optional<InetSocketAddress> vncDisplay(String uuid) throws HypervisorException {
        throw new HypervisorException(HypervisorException.Reason.UNSUPPORTED, "no VNC display access");
    }

    /**
     * Puts a network medium in the machine's first CD-ROM drive (now, when it runs, and at every start
     * until {@link #ejectMedia}), for the IDE-R session that serves it. Only the running machine sees it:
     * the persistent definition is never changed, so nothing points at a gone server after a restart.
     * UNSUPPORTED without a CD-ROM drive or without the means.
     */
    default void insertMedia(String uuid, NetworkMedia media) throws HypervisorException {
        throw new HypervisorException(HypervisorException.Reason.UNSUPPORTED, "no virtual media");
    }

    /** Takes the medium {@link #insertMedia} put in out of the drive again (forced, even if the guest locked it). */
    default void ejectMedia(String uuid) throws HypervisorException {
        throw new HypervisorException(HypervisorException.Reason.UNSUPPORTED, "no virtual media");
    }

    /** Whether the hypervisor answers: what {@link #reachability()} tells. */
    enum Reachability {
        /** Connected, and calls are answered. */
        REACHABLE,
        /** Connected, but a call overran its deadline and the hypervisor left a probe unanswered (frozen). */
        NOT_ANSWERING,
        /** No connection (lost, or not yet opened); reconnecting in the background. */
        DISCONNECTED
    }

    /**
     * How the way to the hypervisor stands, as its connection last saw it. Makes no hypervisor call, so health
     * checks and metrics may ask as often as they like.
     */
    default Reachability reachability() {
        return Reachability.REACHABLE;
    }
}
