package org.vamt.libvirt.internal;

import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.SuspendTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;

/** Power and vCPUs: start (with the pending one-time boot device), stop, reset, NMI, suspend, vCPU count. */
final class PowerControl {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);

    private final Domains domains;
    private final MachineStates states;
    private final VirtualMedia media;

    PowerControl(Domains domains, MachineStates states, VirtualMedia media) {
        this.domains = domains;
        this.states = states;
        this.media = media;
    }

    /**
     * Starts a shut-off machine (from the pending one-time boot device, if any: see {@link #start}),
     * restarts a crashed one, resumes a paused one, wakes a PM-suspended one.
     */
    public void powerOn(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        synchronized (domains.lock(id)) {
            domains.withDomain("powerOn", id, (c, d) -> {
                String who = Domains.describe(d);
                DomainState state = d.getInfo().state;
                switch (state) {
                    case VIR_DOMAIN_SHUTOFF:
                        start(c, d, who);
                        break;
                    case VIR_DOMAIN_CRASHED:
                        if (d.isActive() == 1) {
                            d.destroy();
                            LOG.info("powerOn {}: destroyed the crashed machine", who);
                        }
                        start(c, d, who);
                        break;
                    case VIR_DOMAIN_PAUSED:
                        d.resume();
                        LOG.info("powerOn {}: resumed", who);
                        break;
                    case VIR_DOMAIN_PMSUSPENDED:
                        d.PMwakeup();
                        LOG.info("powerOn {}: woken up from PM suspend", who);
                        break;
                    default:
                        throw new HypervisorException(Reason.INVALID_STATE, "powerOn " + who + ": already on (" + state + ")");
                }
                return null;
            });
        }
    }

    public void powerOff(String uuid) throws HypervisorException {
        onRunningDomain("powerOff", uuid, Domain::destroy, "destroyed");
    }

    public void shutdown(String uuid) throws HypervisorException {
        onRunningDomain("shutdown", uuid, Domain::shutdown, "ACPI shutdown requested");
    }

    public void reboot(String uuid) throws HypervisorException {
        onRunningDomain("reboot", uuid, d -> d.reboot(0), "reboot requested");
    }

    public void reset(String uuid) throws HypervisorException {
        onRunningDomain("reset", uuid, Domain::reset, "reset");
    }

    @FunctionalInterface
    private interface DomainAction {
        void run(Domain d) throws LibvirtException;
    }

    /** An action that only makes sense on a running domain (INVALID_STATE otherwise), logged when done. */
    private void onRunningDomain(String op, String uuid, DomainAction action, String done) throws HypervisorException {
        domains.withDomain(op, Domains.canonical(uuid), (c, d) -> {
            String who = Domains.describe(d);
            Domains.requireActive(op, who, d);
            action.run(d);
            LOG.info("{} {}: {}", op, who, done);
            return null;
        });
    }

    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        String id = Domains.canonical(uuid);
        domains.withDomain("setOnlineVcpus", id, (c, d) -> {
            String who = Domains.describe(d);
            int max = NativeVirt.vcpus(c, id, NativeVirt.VCPU_MAXIMUM | NativeVirt.AFFECT_CURRENT);
            if (count < 1 || count > max) {
                throw new HypervisorException(Reason.INVALID_ARGUMENT,
                        "setOnlineVcpus " + who + ": " + count + " is not between 1 and " + max);
            }
            boolean active = d.isActive() == 1;
            boolean persistent = d.isPersistent() == 1;
            int flags = (active ? NativeVirt.AFFECT_LIVE : 0) | (persistent ? NativeVirt.AFFECT_CONFIG : 0);
            if (flags == 0) {
                throw new HypervisorException(Reason.INVALID_STATE, "setOnlineVcpus " + who + ": neither running nor defined");
            }
            int live = active ? NativeVirt.vcpus(c, id, NativeVirt.AFFECT_LIVE) : count;
            if (active && (count == live || (count < live && isEmulated(d)))) {
                // Nothing to change live; or an unplug under TCG: QEMU 7.2 drops the vCPU without ever
                // confirming it, libvirt times out after 5 s with stale state, and a later reset crashes
                // QEMU. So only the configuration changes: the vCPUs stay until the next power cycle.
                if (!persistent) {
                    if (count == live) {
                        return null;
                    }
                    throw new HypervisorException(Reason.UNSUPPORTED, "setOnlineVcpus " + who + ": QEMU without"
                            + " hardware virtualization (TCG) cannot unplug vCPUs live, and the machine is transient");
                }
                d.setVcpusFlags(count, NativeVirt.AFFECT_CONFIG);
                if (count < live) {
                    LOG.info("setOnlineVcpus {}: {} vCPU(s) from the next power cycle on (config); {} stay online until"
                            + " then: QEMU without hardware virtualization (TCG) cannot unplug vCPUs live", who, count,
                            live);
                } else {
                    LOG.info("setOnlineVcpus {}: {} vCPU(s) online (config; already live)", who, count);
                }
                return null;
            }
            try {
                d.setVcpusFlags(count, flags);
                LOG.info("setOnlineVcpus {}: {} vCPU(s) online ({})", who, count,
                        active ? (persistent ? "live and config" : "live") : "config");
            } catch (LibvirtException e) {
                ErrorNumber code = e.getError() == null ? null : e.getError().getCode();
                if (!(active && persistent) || !liveChangeMayFail(code)) {
                    throw e;
                }
                // e.g. vCPU hot-unplug refused or timed out (QEMU under TCG): apply to the
                // persistent definition only, so the change takes effect at the next power cycle.
                d.setVcpusFlags(count, NativeVirt.AFFECT_CONFIG);
                LOG.warn("setOnlineVcpus {}: live change to {} vCPU(s) failed ({}); applied to the configuration"
                        + " only, effective after the next power cycle", who, count, e.getError().getMessage());
            }
            return null;
        });
    }

    public void injectNmi(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        domains.withDomain("injectNmi", id, (c, d) -> {
            String who = Domains.describe(d);
            Domains.requireActive("injectNmi", who, d);
            NativeVirt.injectNmi(c, id);   // not in libvirt-java 0.5.4
            LOG.info("injectNmi {}: NMI injected", who);
            return null;
        });
    }

    /**
     * virDomainPMSuspendForDuration (duration 0) to MEM or DISK. QEMU needs the guest agent; a
     * missing or unresponsive agent, like a driver without PM suspend (the test driver), is
     * UNSUPPORTED.
     */
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        domains.withDomain("suspend", Domains.canonical(uuid), (c, d) -> {
            String who = Domains.describe(d);
            String target = toDisk ? "disk (S4)" : "RAM (S3)";
            Domains.requireActive("suspend", who, d);
            try {
                d.PMsuspend(toDisk ? SuspendTarget.DISK : SuspendTarget.MEMORY);
            } catch (LibvirtException e) {
                ErrorNumber code = e.getError() == null ? null : e.getError().getCode();
                if (code == ErrorNumber.VIR_ERR_AGENT_UNRESPONSIVE) {
                    throw new HypervisorException(Reason.UNSUPPORTED, "suspend " + who + " to " + target + ": "
                            + e.getError().getMessage(), e);
                }
                throw e;
            }
            LOG.info("suspend {}: suspend to {} requested", who, target);
            return null;
        });
    }

    /**
     * Starts an inactive machine; with a pending one-time boot device (persistent machines only)
     * through {@link OneTimeBoot#start}. Caller holds the machine's lock.
     */
    private void start(VamtConnect c, Domain d, String who) throws LibvirtException, HypervisorException {
        BootDevice next = d.isPersistent() == 1 ? states.pendingBootDevice(d, who) : null;
        String id = Domains.canonical(d.getUUIDString());
        if (next == BootDevice.IDER_CDROM && media.of(id).isEmpty()) {
            // AMT boots normally when UseIDER is set and no console serves the device
            LOG.info("powerOn {}: boot from IDE-R pending, but no IDE-R session serves a CD image: normal boot", who);
            media.startWithMedia(id, d, who);
            states.clearPendingBootDevice(d);
            LOG.info("powerOn {}: started; one-time boot device {} cleared", who, next);
            return;
        }
        if (next == null) {
            media.startWithMedia(id, d, who);
            LOG.info("powerOn {}: started", who);
            return;
        }
        OneTimeBoot.start(new OneTimeBoot.Machine() {
                    public String persistentDefinition() throws LibvirtException {
                return d.getXMLDesc(Domains.XML_INACTIVE_SECURE);
            }

                    public void define(String xml) throws LibvirtException {
                Domains.define(c, xml);
            }

                    public void create() throws LibvirtException, HypervisorException {
                media.startWithMedia(id, d, who);
            }

                    public void clearPending() throws LibvirtException, HypervisorException {
                states.clearPendingBootDevice(d);
            }
        }, next, who);
    }

    /** Whether the machine is a QEMU guest without hardware virtualization ({@code <domain type='qemu'>}, TCG). */
    static boolean isEmulated(Domain d) throws LibvirtException {
        return isEmulatedDefinition(d.getXMLDesc(0));
    }

    static boolean isEmulatedDefinition(String xml) {
        return xml != null && EMULATED_DOMAIN.matcher(xml).find();
    }

    private static final Pattern EMULATED_DOMAIN = Pattern.compile("^\\s*(?:<\\?xml[^>]*>\\s*)?<domain\\s[^>]*\\btype\\s*=\\s*['\"]qemu['\"]");

    private static boolean liveChangeMayFail(ErrorNumber code) {
        if (code == null) {
            return true;
        }
        switch (code) {
            case VIR_ERR_OPERATION_FAILED:
            case VIR_ERR_OPERATION_TIMEOUT:
            case VIR_ERR_OPERATION_UNSUPPORTED:
            case VIR_ERR_NO_SUPPORT:
            case VIR_ERR_INTERNAL_ERROR:
            case VIR_ERR_CONFIG_UNSUPPORTED:
                return true;
            default:
                return false;
        }
    }

}
