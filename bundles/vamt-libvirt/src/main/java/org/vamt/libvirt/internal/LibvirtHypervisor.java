package org.vamt.libvirt.internal;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.SuspendTarget;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.osgi.service.component.ComponentServiceObjects;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.SerialConsole;

/**
 * {@link Hypervisor} on libvirt: one shared connection (reopened when it dies), libvirt's event
 * loop, and domain lifecycle events delivered to {@link MachineListener} whiteboard services.
 */
// Configuration required: started on a default URI before a feature's etc/org.vamt.libvirt.cfg
// arrives, the default driver's VM would take the first endpoint address for good.
@Component(service = Hypervisor.class, configurationPid = LibvirtHypervisor.PID, immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LibvirtHypervisor.Config.class)
public class LibvirtHypervisor implements Hypervisor {
    public static final String PID = "org.vamt.libvirt";
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    private static final Pattern UUID_PATTERN =
            Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");
    static final String DISPATCH_THREAD_NAME = "vamt-libvirt-events";
    private static final long STOP_WAIT_MS = 3_000;
    /** The persistent definition with secrets (VNC passwords…), for redefining it. Never logged. */
    static final int XML_INACTIVE_SECURE = Domain.XMLFlags.INACTIVE | Domain.XMLFlags.SECURE;

    @ObjectClassDefinition(id = PID, name = "vAMT libvirt hypervisor",
            description = "How vAMT reaches libvirt. File: etc/org.vamt.libvirt.cfg")
    public @interface Config {
        @AttributeDefinition(name = "libvirt URI",
                description = "qemu:///system for real VMs; test:///default or test:///abs/path.xml for the test driver")
        String uri() default "test:///default";

        @AttributeDefinition(name = "Connect timeout (ms)",
                description = "How long a call waits for a connection before failing with UNAVAILABLE")
        long connectTimeoutMs() default 10_000;

        @AttributeDefinition(name = "Reconnect interval (ms)",
                description = "Pause between attempts to reopen a lost connection")
        long reconnectIntervalMs() default 5_000;

        @AttributeDefinition(name = "Keepalive interval (s)",
                description = "Seconds of silence before libvirt sends a keepalive; <= 0 disables (remote URIs only)")
        int keepaliveInterval() default 5;

        @AttributeDefinition(name = "Keepalive count",
                description = "Unanswered keepalives before libvirt declares the connection dead")
        int keepaliveCount() default 3;
    }

    private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.Map<ComponentServiceObjects<MachineListener>, LazyListener> lazyListeners =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final LifecycleListener lifecycle = this::onLifecycleEvent;
    private volatile ExecutorService dispatcher;
    private volatile LibvirtConnection connection;
    private boolean eventLoopAcquired;
    /**
     * One lock per machine (UUID) for read-modify-write of its definition: metadata, one-time boot,
     * NIC link fallback. Only within this component; other libvirt clients are not coordinated.
     */
    private final ConcurrentMap<String, Object> machineLocks = new ConcurrentHashMap<>();

    // ---------------------------------------------------------------- component lifecycle

    @Activate
    void activate(Config config) throws LibvirtException {
        String uri = config.uri() == null || config.uri().isBlank() ? "test:///default" : config.uri().trim();
        EventLoop.acquire();   // before the first connection, as libvirt requires
        eventLoopAcquired = true;
        dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, DISPATCH_THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        connection = new LibvirtConnection(uri, config.keepaliveInterval(), config.keepaliveCount(),
                Math.max(100, config.connectTimeoutMs()), Math.max(100, config.reconnectIntervalMs()),
                lifecycle, this::onConnected);
        connection.start();
        LOG.info("vAMT libvirt hypervisor started for {}", uri);
    }

    @Deactivate
    void deactivate() {
        LibvirtConnection c = connection;
        if (c != null) {
            c.stop(STOP_WAIT_MS);
        }
        if (eventLoopAcquired) {
            EventLoop.release();
            eventLoopAcquired = false;
        }
        ExecutorService d = dispatcher;
        if (d != null) {
            d.shutdown();
            try {
                if (!d.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                    d.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                d.shutdownNow();
            }
        }
        LOG.info("vAMT libvirt hypervisor stopped{}", c == null ? "" : " for " + c.uri());
    }

    /**
     * Listener services are bound unresolved and fetched on first delivery: many listeners (the
     * WS-Man endpoints, power follow-ups) themselves need this Hypervisor, and resolving them while
     * it activates is a cycle that SCR refuses.
     */
    @Reference(service = MachineListener.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindMachineListener")
    void bindMachineListener(ComponentServiceObjects<MachineListener> listener) {
        lazyListeners.put(listener, new LazyListener(listener));
    }

    void unbindMachineListener(ComponentServiceObjects<MachineListener> listener) {
        LazyListener l = lazyListeners.remove(listener);
        if (l != null) {
            l.release();
        }
    }

    /** A listener service resolved on first use and released when it goes away. */
    private static final class LazyListener implements MachineListener {
        private final ComponentServiceObjects<MachineListener> objects;
        private MachineListener service;

        LazyListener(ComponentServiceObjects<MachineListener> objects) {
            this.objects = objects;
        }

        @Override
        public synchronized void machineChanged(MachineEvent event) {
            if (service == null) {
                service = objects.getService();
            }
            if (service != null) {
                service.machineChanged(event);
            }
        }

        synchronized void release() {
            if (service != null) {
                objects.ungetService(service);
                service = null;
            }
        }

        @Override
        public String toString() {
            return String.valueOf(objects.getServiceReference());
        }
    }

    /** Direct registration, for tests and in-process users outside OSGi. */
    void addMachineListener(MachineListener listener) {
        listeners.add(listener);
    }

    void removeMachineListener(MachineListener listener) {
        listeners.remove(listener);
    }

    /** The shared connection (tests use it for libvirt calls the SPI does not offer). */
    LibvirtConnection connection() {
        return connection;
    }

    // ---------------------------------------------------------------- Hypervisor

    @Override
    public List<MachineInfo> listMachines() throws HypervisorException {
        return conn().call("listMachines", "", c -> {
            Domain[] domains = c.listAllDomains(0);
            List<MachineInfo> result = new ArrayList<>(domains.length);
            for (Domain d : domains) {
                try {
                    result.add(info(c, d));
                } catch (LibvirtException e) {
                    if (!isNoDomain(e.getError() == null ? null : e.getError().getCode())) {
                        throw e;
                    }   // undefined meanwhile
                } catch (NativeVirt.NativeException e) {
                    if (!isNoDomain(e.error() == null ? null : e.error().getCode())) {
                        throw e;
                    }
                } finally {
                    free(d);
                }
            }
            result.sort(Comparator.comparing(MachineInfo::name));
            return result;
        });
    }

    @Override
    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        if (uuid == null || !UUID_PATTERN.matcher(uuid.trim()).matches()) {
            return Optional.empty();
        }
        String id = canonical(uuid);
        try {
            return Optional.of(withDomain("machine", id, (c, d) -> info(c, d)));
        } catch (HypervisorException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public String definitionXml(String uuid) throws HypervisorException {
        return withDomain("definitionXml", canonical(uuid), (c, d) -> d.getXMLDesc(0));
    }

    /**
     * Parses the current definition ({@code virDomainGetXMLDesc} with flags 0: the live one while the
     * machine runs, never with secrets, never logged) with {@link DomainHardwareParser}, then adds what
     * only the host knows: the CPU clock ({@code virNodeGetInfo}) and disk capacities
     * ({@code virDomainGetBlockInfo}, tried while the machine runs or when the disk's source path exists
     * locally; 0 when it fails or is not tried).
     */
    @Override
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return withDomain("hardware", canonical(uuid), (c, d) -> {
            String who = describe(d);
            MachineHardware parsed = DomainHardwareParser.parse(d.getXMLDesc(0));
            boolean active = d.isActive() == 1;
            List<MachineHardware.Disk> disks = new ArrayList<>(parsed.disks().size());
            for (MachineHardware.Disk k : parsed.disks()) {
                long capacity = capacity(d, who, k, active);
                disks.add(capacity == k.capacity() ? k
                        : new MachineHardware.Disk(k.target(), k.bus(), k.cdrom(), k.source(), capacity, k.serial()));
            }
            MachineHardware.Cpu p = parsed.cpu();
            MachineHardware.Cpu cpu = new MachineHardware.Cpu(p.model(), p.vendor(), p.sockets(), p.cores(),
                    p.threads(), hostMhz(c));
            MachineHardware hw = new MachineHardware(parsed.firmware(), parsed.system(), parsed.baseboard(),
                    parsed.chassis(), cpu, parsed.memoryKiB(), disks, parsed.nics());
            LOG.debug("hardware {}: {}, {} {}x{}x{}, {} KiB, {} disk(s), {} NIC(s)", who,
                    hw.firmware().uefi() ? "UEFI" : "BIOS", cpu.model(), cpu.sockets(), cpu.cores(), cpu.threads(),
                    hw.memoryKiB(), disks.size(), hw.nics().size());
            return hw;
        });
    }

    /**
     * Starts a shut-off machine (from the pending one-time boot device, if any: see {@link #start}),
     * restarts a crashed one, resumes a paused one, wakes a PM-suspended one.
     */
    @Override
    public void powerOn(String uuid) throws HypervisorException {
        String id = canonical(uuid);
        synchronized (lock(id)) {
            withDomain("powerOn", id, (c, d) -> {
                String who = describe(d);
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

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        onRunningDomain("powerOff", uuid, Domain::destroy, "destroyed");
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        onRunningDomain("shutdown", uuid, Domain::shutdown, "ACPI shutdown requested");
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        onRunningDomain("reboot", uuid, d -> d.reboot(0), "reboot requested");
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        onRunningDomain("reset", uuid, Domain::reset, "reset");
    }

    @FunctionalInterface
    private interface DomainAction {
        void run(Domain d) throws LibvirtException;
    }

    /** An action that only makes sense on a running domain (INVALID_STATE otherwise), logged when done. */
    private void onRunningDomain(String op, String uuid, DomainAction action, String done) throws HypervisorException {
        withDomain(op, canonical(uuid), (c, d) -> {
            String who = describe(d);
            requireActive(op, who, d);
            action.run(d);
            LOG.info("{} {}: {}", op, who, done);
            return null;
        });
    }

    @Override
    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        String id = canonical(uuid);
        withDomain("setOnlineVcpus", id, (c, d) -> {
            String who = describe(d);
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

    @Override
    public void injectNmi(String uuid) throws HypervisorException {
        String id = canonical(uuid);
        withDomain("injectNmi", id, (c, d) -> {
            String who = describe(d);
            requireActive("injectNmi", who, d);
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
    @Override
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        withDomain("suspend", canonical(uuid), (c, d) -> {
            String who = describe(d);
            String target = toDisk ? "disk (S4)" : "RAM (S3)";
            requireActive("suspend", who, d);
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

    @Override
    public void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        updateMetadata("setNextBootDevice", canonical(uuid), DomainMetadata.BOOT_NEXT,
                device == null ? null : device.name(), (who, changed) -> {
                    if (device == null) {
                        LOG.info("setNextBootDevice {}: one-time boot device cleared{}", who, changed ? "" : " (none was set)");
                    } else {
                        LOG.info("setNextBootDevice {}: next start boots once from {}", who, device);
                    }
                });
    }

    @Override
    public Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        String id = canonical(uuid);
        synchronized (lock(id)) {
            return withDomain("nextBootDevice", id, (c, d) -> Optional.ofNullable(pendingBootDevice(d, describe(d))));
        }
    }

    /**
     * Stored in our single {@code <metadata>} element (see {@link DomainMetadata}), in the persistent
     * definition and, while the machine runs, the live one. Values are not logged.
     */
    @Override
    public void setMetadata(String uuid, String key, String value) throws HypervisorException {
        String id = canonical(uuid);
        DomainMetadata.checkKey(key);
        updateMetadata("setMetadata", id, key, value, (who, changed) -> LOG.info("setMetadata {}: '{}' {}", who, key,
                value == null ? (changed ? "removed" : "was not set") : (changed ? "set" : "unchanged")));
    }

    @Override
    public Optional<String> metadata(String uuid, String key) throws HypervisorException {
        String id = canonical(uuid);
        DomainMetadata.checkKey(key);
        synchronized (lock(id)) {
            return withDomain("metadata", id, (c, d) -> Optional.ofNullable(DomainMetadata.read(d).get(key)));
        }
    }

    /**
     * virDomainUpdateDeviceFlags with the NIC's {@code <interface>} from the current definition and
     * {@code <link state>}, LIVE (when running) and CONFIG (when persistent). Where the driver has no
     * device update (the test driver), the persistent definition is redefined with the new link
     * state instead; for a running machine that is only half of it, so it ends with UNSUPPORTED (the
     * definition has changed, effective at the next start).
     */
    @Override
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        String id = canonical(uuid);
        String address = NicLink.normalizeMac(mac);
        String state = up ? "up" : "down";
        synchronized (lock(id)) {
            withDomain("setNicLink", id, (c, d) -> {
                String who = describe(d);
                boolean active = d.isActive() == 1;
                boolean persistent = d.isPersistent() == 1;
                String device = NicLink.interfaceXml(d.getXMLDesc(0), address, up);
                if (device == null) {
                    throw new HypervisorException(Reason.INVALID_ARGUMENT, "setNicLink " + who + ": no NIC with MAC " + address);
                }
                int flags = (active ? NativeVirt.AFFECT_LIVE : 0) | (persistent ? NativeVirt.AFFECT_CONFIG : 0);
                try {
                    d.updateDeviceFlags(device, flags);
                    LOG.info("setNicLink {}: link of {} {} ({})", who, address, state,
                            active ? (persistent ? "live and config" : "live") : "config");
                    return null;
                } catch (LibvirtException e) {
                    if (!persistent || !isUnsupported(e)) {
                        throw e;
                    }
                    LOG.info("setNicLink {}: device update refused ({}); changing the persistent definition instead",
                            who, message(e));
                }
                String inactive = d.getXMLDesc(XML_INACTIVE_SECURE);
                boolean configDone = false;
                if (active) {   // maybe only the live part is unsupported
                    String configDevice = NicLink.interfaceXml(inactive, address, up);
                    if (configDevice != null) {
                        try {
                            d.updateDeviceFlags(configDevice, NativeVirt.AFFECT_CONFIG);
                            configDone = true;
                        } catch (LibvirtException e) {
                            if (!isUnsupported(e)) {
                                throw e;
                            }
                        }
                    }
                }
                if (!configDone) {
                    String redefined = NicLink.definitionWith(inactive, address, up);
                    if (redefined == null) {
                        throw new HypervisorException(active ? Reason.UNSUPPORTED : Reason.INVALID_ARGUMENT, "setNicLink "
                                + who + ": cannot change the link of " + address + " live, and the persistent definition"
                                + " has no NIC with that MAC");
                    }
                    define(c, redefined);
                }
                if (active) {
                    LOG.warn("setNicLink {}: link of {} {} in the persistent definition only (effective at the next"
                            + " start); the driver cannot change it on the running machine", who, address, state);
                    throw new HypervisorException(Reason.UNSUPPORTED, "setNicLink " + who + ": the driver cannot change"
                            + " the link of a running machine's NIC; the definition now has the link of " + address + " "
                            + state + ", effective at the next start");
                }
                LOG.info("setNicLink {}: link of {} {} (config; persistent definition redefined)", who, address, state);
                return null;
            });
        }
    }

    /** virDomainOpenConsole (forced) on the first console, through {@link NativeVirt}. */
    @Override
    public SerialConsole openConsole(String uuid) throws HypervisorException {
        String id = canonical(uuid);
        return withDomain("openConsole", id, (c, d) -> {
            String who = describe(d);
            requireActive("openConsole", who, d);
            SerialConsole console = NativeVirt.openConsole(c, id);
            LOG.debug("openConsole {}: console stream open", who);
            return console;
        });
    }

    /**
     * The first {@code <graphics type='vnc'>} of the live definition: its port and listen address
     * (a wildcard or missing listen address means this host's loopback).
     */
    @Override
    public Optional<java.net.InetSocketAddress> vncDisplay(String uuid) throws HypervisorException {
        String id = canonical(uuid);
        return withDomain("vncDisplay", id, (c, d) -> {
            requireActive("vncDisplay", describe(d), d);
            return VncDisplay.of(d.getXMLDesc(0));
        });
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface DomainCall<T> {
        T call(VamtConnect c, Domain d) throws LibvirtException, NativeVirt.NativeException, HypervisorException;
    }

    private <T> T withDomain(String op, String uuid, DomainCall<T> call) throws HypervisorException {
        return conn().call(op, uuid, c -> {
            Domain d = c.domainLookupByUUIDString(uuid);
            try {
                return call.call(c, d);
            } finally {
                free(d);
            }
        });
    }

    private LibvirtConnection conn() throws HypervisorException {
        LibvirtConnection c = connection;
        if (c == null) {
            throw new HypervisorException(Reason.UNAVAILABLE, "vAMT libvirt hypervisor is not active");
        }
        return c;
    }

    private Object lock(String id) {
        return machineLocks.computeIfAbsent(id, k -> new Object());
    }

    /** Told about a metadata change after it was written ({@code changed}: false when nothing was to do). */
    @FunctionalInterface
    private interface MetadataLog {
        void log(String who, boolean changed);
    }

    /** Read-modify-write of one metadata entry (null removes), under the machine's lock. */
    private void updateMetadata(String op, String id, String key, String value, MetadataLog log)
            throws HypervisorException {
        if (value != null) {
            DomainMetadata.checkValue(key, value);
        }
        synchronized (lock(id)) {
            withDomain(op, id, (c, d) -> {
                String who = describe(d);
                Map<String, String> entries = DomainMetadata.read(d);
                boolean changed = value == null ? entries.remove(key) != null : !value.equals(entries.put(key, value));
                if (changed) {
                    DomainMetadata.write(d, entries);
                }
                log.log(who, changed);
                return null;
            });
        }
    }

    /** The pending one-time boot device, or null (none, or an unknown value, which is logged). */
    private static BootDevice pendingBootDevice(Domain d, String who) throws LibvirtException, HypervisorException {
        String value = DomainMetadata.read(d).get(DomainMetadata.BOOT_NEXT);
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

    /**
     * Starts an inactive machine; with a pending one-time boot device (persistent machines only)
     * through {@link OneTimeBoot#start}. Caller holds the machine's lock.
     */
    private static void start(VamtConnect c, Domain d, String who) throws LibvirtException, HypervisorException {
        BootDevice next = d.isPersistent() == 1 ? pendingBootDevice(d, who) : null;
        if (next == null) {
            d.create();
            LOG.info("powerOn {}: started", who);
            return;
        }
        OneTimeBoot.start(new OneTimeBoot.Machine() {
            @Override
            public String persistentDefinition() throws LibvirtException {
                return d.getXMLDesc(XML_INACTIVE_SECURE);
            }

            @Override
            public void define(String xml) throws LibvirtException {
                LibvirtHypervisor.define(c, xml);
            }

            @Override
            public void create() throws LibvirtException {
                d.create();
            }

            @Override
            public void clearPending() throws LibvirtException, HypervisorException {
                Map<String, String> entries = DomainMetadata.read(d);
                if (entries.remove(DomainMetadata.BOOT_NEXT) != null) {
                    DomainMetadata.write(d, entries);
                }
            }
        }, next, who);
    }

    /** virDomainDefineXML; the XML is never logged (it may hold secrets). */
    private static void define(VamtConnect c, String xml) throws LibvirtException {
        free(c.domainDefineXML(xml));
    }

    private static boolean isUnsupported(LibvirtException e) {
        return e.getError() != null && ErrorMapping.reason(e.getError().getCode()) == Reason.UNSUPPORTED;
    }

    private static String message(LibvirtException e) {
        return e.getError() != null && e.getError().getMessage() != null ? e.getError().getMessage() : e.getMessage();
    }

    private static MachineInfo info(VamtConnect c, Domain d) throws LibvirtException, NativeVirt.NativeException {
        String uuid = fromLibvirt(d.getUUIDString());
        String name = d.getName();
        DomainInfo info = d.getInfo();
        int online;
        try {
            online = NativeVirt.vcpus(c, uuid, NativeVirt.AFFECT_CURRENT);   // live when running, else config
        } catch (NativeVirt.NativeException e) {
            if (e.error() != null && ErrorMapping.reason(e.error().getCode()) == Reason.UNSUPPORTED) {
                online = info.nrVirtCpu;
            } else {
                throw e;
            }
        }
        int max = NativeVirt.vcpus(c, uuid, NativeVirt.VCPU_MAXIMUM | NativeVirt.AFFECT_CURRENT);
        // a running persistent machine may start next time with another count (see setOnlineVcpus)
        int nextStart = online;
        if (info.state != DomainState.VIR_DOMAIN_SHUTOFF && d.isPersistent() == 1) {
            nextStart = NativeVirt.vcpus(c, uuid, NativeVirt.AFFECT_CONFIG);
        }
        return new MachineInfo(uuid, name, state(info.state), online, max, info.maxMem, nextStart);
    }

    static MachineState state(DomainState s) {
        if (s == null) {
            return MachineState.NO_STATE;
        }
        switch (s) {
            case VIR_DOMAIN_RUNNING: return MachineState.RUNNING;
            case VIR_DOMAIN_BLOCKED: return MachineState.BLOCKED;
            case VIR_DOMAIN_PAUSED: return MachineState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN: return MachineState.SHUTTING_DOWN;
            case VIR_DOMAIN_SHUTOFF: return MachineState.SHUT_OFF;
            case VIR_DOMAIN_CRASHED: return MachineState.CRASHED;
            case VIR_DOMAIN_PMSUSPENDED: return MachineState.SUSPENDED;
            default: return MachineState.NO_STATE;
        }
    }

    static MachineEvent.Type eventType(DomainEventType t) {
        if (t == null) {
            return MachineEvent.Type.OTHER;
        }
        switch (t) {
            case DEFINED: return MachineEvent.Type.DEFINED;
            case UNDEFINED: return MachineEvent.Type.UNDEFINED;
            case STARTED: return MachineEvent.Type.STARTED;
            case SUSPENDED: return MachineEvent.Type.SUSPENDED;
            case RESUMED: return MachineEvent.Type.RESUMED;
            case STOPPED: return MachineEvent.Type.STOPPED;
            case SHUTDOWN: return MachineEvent.Type.SHUTDOWN;
            case PMSUSPENDED: return MachineEvent.Type.PM_SUSPENDED;
            case CRASHED: return MachineEvent.Type.CRASHED;
            default: return MachineEvent.Type.OTHER;
        }
    }

    /** Canonical lower-case UUID with dashes; INVALID_ARGUMENT when it is not a UUID. */
    static String canonical(String uuid) throws HypervisorException {
        String s = uuid == null ? "" : uuid.trim();
        if (!UUID_PATTERN.matcher(s).matches()) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "not a UUID: '" + uuid + "'");
        }
        String hex = s.replace("-", "").toLowerCase(Locale.ROOT);
        return hex.substring(0, 8) + '-' + hex.substring(8, 12) + '-' + hex.substring(12, 16) + '-'
                + hex.substring(16, 20) + '-' + hex.substring(20);
    }

    /** A UUID string libvirt returned (already canonical in practice), made canonical. */
    static String fromLibvirt(String uuid) {
        try {
            return canonical(uuid);
        } catch (HypervisorException e) {
            return uuid.toLowerCase(Locale.ROOT);
        }
    }

    /** Disk capacity in bytes from virDomainGetBlockInfo, or 0 (no source, not tried, or failed). */
    private static long capacity(Domain d, String who, MachineHardware.Disk disk, boolean active)
            throws LibvirtException {
        if (disk.target() == null || disk.source() == null || !(active || existsLocally(disk.source()))) {
            return 0;
        }
        try {
            return Math.max(0, d.blockInfo(disk.target()).getCapacity());
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("hardware {}: no capacity for disk {}: {}", who, disk.target(),
                    e.getError() == null ? e.getMessage() : e.getError().getMessage());
            return 0;
        }
    }

    private static boolean existsLocally(String source) {
        try {
            return source.startsWith("/") && Files.exists(Paths.get(source));
        } catch (InvalidPathException | SecurityException e) {
            return false;
        }
    }

    /** The host CPU clock from virNodeGetInfo, or 0. */
    private static int hostMhz(VamtConnect c) throws LibvirtException {
        try {
            return Math.max(0, c.nodeInfo().mhz);
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("virNodeGetInfo: {}", e.getMessage());
            return 0;
        }
    }

    private static void requireActive(String op, String who, Domain d) throws LibvirtException, HypervisorException {
        if (d.isActive() != 1) {
            throw new HypervisorException(Reason.INVALID_STATE, op + " " + who + ": not running");
        }
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

    private static boolean isNoDomain(ErrorNumber code) {
        return code == ErrorNumber.VIR_ERR_NO_DOMAIN;
    }

    private static String describe(Domain d) {
        try {
            return "'" + d.getName() + "' (" + fromLibvirt(d.getUUIDString()) + ")";
        } catch (LibvirtException | RuntimeException e) {
            return "domain";
        }
    }

    private static void free(Domain d) {
        if (d != null) {
            try {
                d.free();
            } catch (LibvirtException | RuntimeException e) {
                LOG.debug("virDomainFree: {}", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- events

    /** libvirt lifecycle callback, on the event loop thread: translate, then hand to the dispatcher. */
    private int onLifecycleEvent(Domain d, DomainEvent event) {
        try {
            String uuid = fromLibvirt(d.getUUIDString());
            String name = d.getName();
            MachineEvent.Type type = eventType(event.getType());
            Object detail;
            try {
                detail = event.getDetail();
            } catch (RuntimeException e) {
                detail = "?";
            }
            LOG.info("Machine '{}' ({}): {} ({} {})", name, uuid, type, event.getType(), detail);
            dispatch(new MachineEvent(uuid, name, type));
        } catch (LibvirtException | RuntimeException e) {
            LOG.warn("Cannot translate libvirt event {}: {}", event, e.toString());
        } finally {
            free(d);
        }
        return 0;
    }

    /** After a reconnect the state may have changed unseen: one OTHER event per machine. */
    private void onConnected(VamtConnect c, boolean reconnect) {
        if (!reconnect) {
            return;
        }
        ExecutorService d = dispatcher;
        if (d == null) {
            return;
        }
        try {
            d.execute(() -> {
                try {
                    for (MachineInfo m : listMachines()) {
                        deliver(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.OTHER));
                    }
                } catch (HypervisorException e) {
                    LOG.warn("After reconnecting: cannot list machines: {}", e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // deactivating
        }
    }

    private void dispatch(MachineEvent event) {
        ExecutorService d = dispatcher;
        if (d == null) {
            return;
        }
        try {
            d.execute(() -> deliver(event));
        } catch (RejectedExecutionException e) {
            LOG.debug("Dropped {} (deactivating)", event);
        }
    }

    private void deliver(MachineEvent event) {
        List<MachineListener> all = new java.util.ArrayList<>(listeners);
        all.addAll(lazyListeners.values());
        for (MachineListener l : all) {
            try {
                l.machineChanged(event);
            } catch (Exception | LinkageError e) {
                LOG.warn("MachineListener {} failed on {} of '{}' ({}): {}", l, event.type(), event.name(),
                        event.uuid(), e.toString(), e);
            }
        }
    }
}
