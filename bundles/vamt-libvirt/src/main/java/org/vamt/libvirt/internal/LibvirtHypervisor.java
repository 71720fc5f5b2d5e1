package org.vamt.libvirt.internal;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.MachineState;

/**
 * {@link Hypervisor} on libvirt: one shared connection (reopened when it dies), libvirt's event
 * loop, and domain lifecycle events delivered to {@link MachineListener} whiteboard services.
 */
@Component(service = Hypervisor.class, configurationPid = LibvirtHypervisor.PID, immediate = true)
@Designate(ocd = LibvirtHypervisor.Config.class)
public class LibvirtHypervisor implements Hypervisor {
    public static final String PID = "org.vamt.libvirt";
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    private static final Pattern UUID_PATTERN =
            Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");
    static final String DISPATCH_THREAD_NAME = "vamt-libvirt-events";
    private static final long STOP_WAIT_MS = 3_000;

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
    private final LifecycleListener lifecycle = this::onLifecycleEvent;
    private volatile ExecutorService dispatcher;
    private volatile LibvirtConnection connection;
    private boolean eventLoopAcquired;

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

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeMachineListener")
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

    @Override
    public void powerOn(String uuid) throws HypervisorException {
        withDomain("powerOn", canonical(uuid), (c, d) -> {
            String who = describe(d);
            DomainState state = d.getInfo().state;
            switch (state) {
                case VIR_DOMAIN_SHUTOFF:
                    d.create();
                    LOG.info("powerOn {}: started", who);
                    break;
                case VIR_DOMAIN_CRASHED:
                    if (d.isActive() == 1) {
                        d.destroy();
                    }
                    d.create();
                    LOG.info("powerOn {}: restarted after crash", who);
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

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        withDomain("powerOff", canonical(uuid), (c, d) -> {
            String who = describe(d);
            requireActive("powerOff", who, d);
            d.destroy();
            LOG.info("powerOff {}: destroyed", who);
            return null;
        });
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        withDomain("shutdown", canonical(uuid), (c, d) -> {
            String who = describe(d);
            requireActive("shutdown", who, d);
            d.shutdown();
            LOG.info("shutdown {}: ACPI shutdown requested", who);
            return null;
        });
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        withDomain("reboot", canonical(uuid), (c, d) -> {
            String who = describe(d);
            requireActive("reboot", who, d);
            d.reboot(0);
            LOG.info("reboot {}: reboot requested", who);
            return null;
        });
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        withDomain("reset", canonical(uuid), (c, d) -> {
            String who = describe(d);
            requireActive("reset", who, d);
            d.reset();
            LOG.info("reset {}: reset", who);
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
        return new MachineInfo(uuid, name, state(info.state), online, max, info.maxMem);
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
        for (MachineListener l : listeners) {
            try {
                l.machineChanged(event);
            } catch (Exception | LinkageError e) {
                LOG.warn("MachineListener {} failed on {} of '{}' ({}): {}", l, event.type(), event.name(),
                        event.uuid(), e.toString(), e);
            }
        }
    }
}
