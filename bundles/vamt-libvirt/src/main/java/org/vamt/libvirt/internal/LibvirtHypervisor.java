package org.vamt.libvirt.internal;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.SerialConsole;
import org.vamt.hypervisor.StateEntry;
import org.vamt.metrics.Metrics;

/**
 * {@link Hypervisor} on libvirt: one shared connection (reopened when it dies), libvirt's event
 * loop, and domain lifecycle events delivered to {@link MachineListener} whiteboard services.
 * The work is split by concern: {@link MachineEvents} (listeners and event dispatch),
 * {@link PowerControl} (power and vCPUs), {@link MachineStates} (per-VM state in the metadata,
 * one-time boot device), {@link HardwareMapping} (machines, hardware, devices); {@link Domains}
 * holds what they share.
 */
// Configuration required: started on a default URI before a feature's etc/org.vamt.libvirt.cfg
// arrives, the default driver's VM would take the first endpoint address for good.
@Component(service = Hypervisor.class, configurationPid = LibvirtHypervisor.PID, immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LibvirtHypervisor.Config.class)
public class LibvirtHypervisor implements Hypervisor {
    public static final String PID = "org.vamt.libvirt";
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    static final String DISPATCH_THREAD_NAME = MachineEvents.DISPATCH_THREAD_NAME;
    private static final long STOP_WAIT_MS = 3_000;
    /** The persistent definition with secrets (VNC passwords…), for redefining it. Never logged. */
    static final int XML_INACTIVE_SECURE = Domains.XML_INACTIVE_SECURE;

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
                description = "Seconds of silence before libvirt's client sends a keepalive; <= 0 (the default) "
                        + "disables it. Off because libvirt 9.0's client crashes the JVM when its keepalive closes "
                        + "a connection under several waiting calls (a frozen libvirtd under load); a frozen "
                        + "libvirtd is noticed instead by calls overrunning their operation's deadline")
        int keepaliveInterval() default 0;

        @AttributeDefinition(name = "Keepalive count",
                description = "Unanswered keepalives before libvirt declares the connection dead")
        int keepaliveCount() default 3;

        @AttributeDefinition(name = "Call threads",
                description = "Threads for the libvirtd calls of client operations, running or hung past their "
                        + "operation's deadline; when all are held, further calls are refused at once and the "
                        + "client gets wsman:TimedOut (not used by the in-process test driver)")
        int maxCallThreads() default 128;

        @AttributeDefinition(name = "Heartbeat (s)",
                description = "How often vAMT asks a remote libvirtd a cheap question (its version) under a 2 s "
                        + "deadline, so that a frozen libvirtd shows in /health and is refused at once even "
                        + "when no client calls; <= 0 disables it (not used by the in-process test driver)")
        int heartbeatSeconds() default 5;
    }

    private volatile LibvirtConnection connection;
    private boolean eventLoopAcquired;
    private final Domains domains = new Domains(() -> connection);
    private final HardwareMapping hardware = new HardwareMapping(domains);
    private final MachineStates states = new MachineStates(domains);
    private final VirtualMedia media = new VirtualMedia();
    private final PowerControl power = new PowerControl(domains, states, media);
    private final MachineEvents events = new MachineEvents(hardware::listMachineIds);

    // ---------------------------------------------------------------- component lifecycle

    @Activate
    void activate(Config config) throws LibvirtException {
        String uri = config.uri() == null || config.uri().isBlank() ? "test:///default" : config.uri().trim();
        EventLoop.acquire();   // before the first connection, as libvirt requires
        eventLoopAcquired = true;
        events.start();
        org.vamt.hypervisor.state.StateJson.warmUp();   // not on the first event's state write
        connection = new LibvirtConnection(uri, config.keepaliveInterval(), config.keepaliveCount(),
                Math.max(100, config.connectTimeoutMs()), Math.max(100, config.reconnectIntervalMs()),
                Math.max(1, config.maxCallThreads()), Math.max(0, config.heartbeatSeconds()) * 1000L,
                events.lifecycle(), events::onConnected);
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
        events.stop(STOP_WAIT_MS);
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
        events.bind(listener);
    }

    void unbindMachineListener(ComponentServiceObjects<MachineListener> listener) {
        events.unbind(listener);
    }

    /** The connection's gauges and the VMs by state while a metrics service is there. */
    private LibvirtMeters meters;   // guarded by this

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMetrics")
    synchronized void bindMetrics(Metrics metrics) {
        closeMeters();
        meters = new LibvirtMeters(metrics, () -> connection);
        events.add(meters);
    }

    synchronized void unbindMetrics(Metrics metrics) {
        if (meters != null && meters.metrics() == metrics) {
            closeMeters();
        }
    }

    private void closeMeters() {
        if (meters != null) {
            events.remove(meters);
            meters.close();
            meters = null;
        }
    }

    @Override
    public Reachability reachability() {
        LibvirtConnection c = connection;
        if (c == null || !c.isConnected()) {
            return Reachability.DISCONNECTED;
        }
        return c.frozen() ? Reachability.NOT_ANSWERING : Reachability.REACHABLE;
    }

    /** Direct registration, for tests and in-process users outside OSGi. */
    void addMachineListener(MachineListener listener) {
        events.add(listener);
    }

    void removeMachineListener(MachineListener listener) {
        events.remove(listener);
    }

    /** The shared connection (tests use it for libvirt calls the SPI does not offer). */
    LibvirtConnection connection() {
        return connection;
    }

    // ---------------------------------------------------------------- Hypervisor: machines and hardware

    @Override
    public List<MachineInfo> listMachines() throws HypervisorException {
        return hardware.listMachines();
    }

    @Override
    public List<MachineId> listMachineIds() throws HypervisorException {
        return hardware.listMachineIds();
    }

    @Override
    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        return hardware.machine(uuid);
    }

    @Override
    public String definitionXml(String uuid) throws HypervisorException {
        return hardware.definitionXml(uuid);
    }

    @Override
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return hardware.hardware(uuid);
    }

    @Override
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        hardware.setNicLink(uuid, mac, up);
    }

    @Override
    public java.util.Optional<org.vamt.hypervisor.NicAddress> nicAddress(String uuid, String mac)
            throws HypervisorException {
        return hardware.nicAddress(uuid, mac);
    }

    @Override
    public SerialConsole openConsole(String uuid) throws HypervisorException {
        return hardware.openConsole(uuid);
    }

    @Override
    public void insertMedia(String uuid, org.vamt.hypervisor.NetworkMedia medium) throws HypervisorException {
        String id = Domains.canonical(uuid);
        synchronized (domains.lock(id)) {
            domains.withDomain("insertMedia", id, (c, d) -> {
                media.insert(id, d, Domains.describe(d), medium);
                return null;
            });
        }
    }

    @Override
    public void ejectMedia(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        synchronized (domains.lock(id)) {
            domains.withDomain("ejectMedia", id, (c, d) -> {
                media.eject(id, d, Domains.describe(d));
                return null;
            });
        }
    }

    @Override
    public Optional<InetSocketAddress> vncDisplay(String uuid) throws HypervisorException {
        return hardware.vncDisplay(uuid);
    }

    // ---------------------------------------------------------------- Hypervisor: power and vCPUs

    @Override
    public void powerOn(String uuid) throws HypervisorException {
        power.powerOn(uuid);
    }

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        power.powerOff(uuid);
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        power.shutdown(uuid);
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        power.reboot(uuid);
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        power.reset(uuid);
    }

    @Override
    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        power.setOnlineVcpus(uuid, count);
    }

    @Override
    public void injectNmi(String uuid) throws HypervisorException {
        power.injectNmi(uuid);
    }

    @Override
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        power.suspend(uuid, toDisk);
    }

    // ---------------------------------------------------------------- Hypervisor: per-VM state

    @Override
    public void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        states.setNextBootDevice(uuid, device);
    }

    @Override
    public Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        return states.nextBootDevice(uuid);
    }

    @Override
    public StateEntry readState(String uuid, String namespace, Set<String> legacyKeys) throws HypervisorException {
        return states.readState(uuid, namespace, legacyKeys);
    }

    @Override
    public long writeState(String uuid, String namespace, long expectedGeneration, String json,
                           Set<String> dropLegacyKeys) throws HypervisorException {
        return states.writeState(uuid, namespace, expectedGeneration, json, dropLegacyKeys);
    }

    // ---------------------------------------------------------------- shared helpers (tests use them)

    static MachineState state(DomainState s) {
        return HardwareMapping.state(s);
    }

    static MachineEvent.Type eventType(DomainEventType t) {
        return MachineEvents.eventType(t);
    }

    static String canonical(String uuid) throws HypervisorException {
        return Domains.canonical(uuid);
    }

    static String fromLibvirt(String uuid) {
        return Domains.fromLibvirt(uuid);
    }

    static boolean isEmulatedDefinition(String xml) {
        return PowerControl.isEmulatedDefinition(xml);
    }
}
