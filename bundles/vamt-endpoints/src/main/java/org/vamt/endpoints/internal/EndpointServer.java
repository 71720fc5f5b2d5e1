package org.vamt.endpoints.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.cm.ConfigurationAdmin;
import org.apache.karaf.features.BootFinished;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vamt.metrics.Metrics;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.VamtProduct;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.endpoints.Endpoints;
import org.vamt.endpoints.HostAddresses;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachinesListed;
import org.vamt.hypervisor.MachineListener;
import org.vamt.security.SecurityService;
import org.vamt.tls.TlsIdentity;

/**
 * The endpoint manager and its HTTP transport. Every VM is told apart by its own address on the
 * configured ports (strategy {@code address}), its own port ({@code port}: one listener per VM,
 * opened and closed as VMs come and go) or its host name in the {@code Host} header
 * ({@code host}). Endpoints follow the hypervisor's define/undefine/rename events; identities are
 * kept in one file for all VMs ({@code etc/vamt-endpoints.properties}, {@link EndpointFile}). A changed
 * configuration is applied in place: only listeners whose address or port changed are closed or
 * opened, so connections, nonces and the enumeration contexts of protocol handlers survive.
 */
@Component(service = {MachineListener.class, Endpoints.class, TunnelDoor.class}, immediate = true,
        property = {"vamt.tunnel.ports:Integer=16992", "vamt.tunnel.ports:Integer=16993"},
        configurationPid = EndpointServer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = EndpointServer.Config.class)
public class EndpointServer implements MachineListener, Endpoints, TunnelDoor {
    /** The operator's file keeps its name from when WS-Management was the only protocol: etc/org.vamt.wsman.cfg. */
    static final String PID = "org.vamt.wsman";
    private static final Logger LOG = LoggerFactory.getLogger(EndpointServer.class);

    @ObjectClassDefinition(name = "vAMT endpoints", description = "AMT endpoints of the VMs and their HTTP listeners")
    public @interface Config {
        @AttributeDefinition(description = "Local address to listen on; VMs are told apart by the address a "
                + "connection arrives at, so this is normally the wildcard")
        String bindAddress() default "0.0.0.0";

        @AttributeDefinition(description = "HTTP port (AMT: 16992)")
        int port() default 16992;

        @AttributeDefinition(description = "HTTPS port (AMT: 16993); 0 = no TLS listener")
        int tlsPort() default 16993;

        @AttributeDefinition(description = "How VMs are told apart: address (one IPv4 address per VM on port and "
                + "tlsPort), port (one port per VM from firstPort, its TLS port the next one), host (one listener, "
                + "the HTTP Host header names the VM)")
        String strategy() default "address";

        @AttributeDefinition(description = "Address of the first VM's endpoint; later VMs take the next ones. With "
                + "strategy port or host: the one address every VM is reached at")
        String firstAddress() default "127.0.0.2";

        @AttributeDefinition(description = "strategy port: the first VM's HTTP port (TLS: the next); later VMs take "
                + "the next free ones")
        int firstPort() default 20000;

        @AttributeDefinition(description = "strategy host: domain appended to VM names (desktop-01 -> "
                + "desktop-01.<hostSuffix>); empty = the bare VM name")
        String hostSuffix() default "";

        @AttributeDefinition(description = "The endpoint map: every VM's address, port and host name, kept across "
                + "restarts (one file for all VMs). Empty = ${karaf.etc}/vamt-endpoints.properties")
        String endpointsFile() default "";

        @AttributeDefinition(description = "Largest request body accepted, in bytes")
        int maxRequestBytes() default 262144;

        @AttributeDefinition(description = "Operations run at once; more wait up to 2 s, then get HTTP 503")
        int maxConcurrentOperations() default 64;

        @AttributeDefinition(description = "Longest an operation may run (a client's OperationTimeout may be shorter)")
        long maxOperationSeconds() default 60;

        @AttributeDefinition(description = "Total time for a request's headers, from the connection's opening (TLS "
                + "handshake included) or the end of its previous request; past it: 408 and the connection closed")
        int requestHeaderSeconds() default 10;

        @AttributeDefinition(description = "Total time an authenticated client has to send its request body; past "
                + "it: 400 and the connection closed (without credentials: at most 4 KiB within 2 s)")
        int requestBodySeconds() default 30;

        @AttributeDefinition(description = "Connections without an authenticated request yet, from one client "
                + "address; a newcomer beyond is closed at once")
        int maxUnauthenticatedConnectionsPerSource() default 32;

        @AttributeDefinition(description = "Connections without an authenticated request yet, in all; a newcomer "
                + "beyond closes the oldest one of the address holding the most")
        int maxUnauthenticatedConnections() default 256;

        @AttributeDefinition(description = "Jetty threads per listener (at least 16)")
        int maxHttpThreads() default 200;

        @AttributeDefinition(description = "strategy address: the addresses vAMT hands out and puts on poolInterface "
                + "itself (ranges 192.0.2.50-192.0.2.99 and CIDR blocks 192.0.2.64/26, comma separated); each is "
                + "probed on the LAN first and skipped when another host uses it. Empty = addresses from firstAddress "
                + "upwards, which the operator adds to the host (or loopback)")
        String addressPool() default "";

        @AttributeDefinition(description = "With addressPool: the network interface the addresses are added to "
                + "(e.g. eth0); needs bundle vamt-address-pool and the capabilities CAP_NET_ADMIN and CAP_NET_RAW")
        String poolInterface() default "";
    }

    /** Where one listener listens; listeners are kept by this, so a change reopens only what differs. */
    private record Binding(String address, int port, boolean secure) {
    }

    /**
     * Only Karaf's signal that its boot features are started: listeners open after it, because
     * until then providers are still registering and a request would be refused (AccessDenied,
     * DestinationUnreachable) for a class that is about to be served.
     */
    @Reference
    private BootFinished bootFinished;
    private final Hypervisor hypervisor;
    /** The TLS identity; it may come, go or be replaced at any time (dynamic: nothing restarts). */
    private volatile TlsIdentity tls;
    private final WriteBehindStore store;
    /**
     * Open once the map was first filled from the hypervisor (or the first attempt failed): until
     * then requests and callers of {@link #endpoints()} wait for it, bounded.
     */
    private final java.util.concurrent.CountDownLatch firstFill = new java.util.concurrent.CountDownLatch(1);
    /** Where {@link #store} keeps the map. */
    private final Path endpointsFile;
    private final PathHandlers pathHandlers = new PathHandlers();
    private final HttpDoor door;
    private final Map<Binding, CxfHttpListener> listeners = new LinkedHashMap<>();
    /**
     * Set by {@link #deactivate()} (guarded by this): DS unbinds the dynamic references after it
     * (the TLS identity's unbind reconciles the listeners) and a late event or first listing may
     * still come; none may open a listener or register a service again, which nothing would ever close.
     */
    private boolean deactivated;
    /** The HTTP stack of tunnelled streams (CIRA channels), made on first use. */
    private TunnelServer tunnels;
    private volatile MachineEndpoints endpoints;
    private volatile Config config;
    private ScheduledExecutorService retry;
    /** Registered after the first listing; guarded by this. */
    private org.osgi.framework.ServiceRegistration<MachinesListed> machinesListed;
    /** Puts pool addresses on the host (bundle vamt-address-pool); may come and go. */
    private volatile HostAddresses hostAddresses;
    /**
     * With an address pool every change of the map runs here, one at a time: a claim probes the LAN
     * for seconds, which must block neither activation nor libvirt's event thread.
     */
    private final ScheduledExecutorService poolWork = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "vamt-address-pool"));
    /** Pool addresses another host answered for at the last probe. */
    private final java.util.Set<String> inUseOnLan = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** VMs that got no endpoint (pool exhausted, or the host refused), by UUID → name. */
    private final Map<String, String> withoutEndpoint = new java.util.concurrent.ConcurrentHashMap<>();

    @Activate
    public EndpointServer(@Reference Hypervisor hypervisor, @Reference SecurityService security, Config config,
                          @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                          ConfigurationAdmin configAdmin) {
        this.hypervisor = hypervisor;
        check(config);
        this.config = config;
        this.endpointsFile = config.endpointsFile().isBlank()
                ? Paths.get(System.getProperty("karaf.etc", "etc"), "vamt-endpoints.properties")
                : Paths.get(config.endpointsFile());
        this.store = store(configAdmin, endpointsFile);
        this.endpoints = new MachineEndpoints(settings(config), store, addressSource(config));
        this.door = new HttpDoor(endpoints, security, pathHandlers, VamtProduct.amtVersion(), limits(config),
                connectionLimits(config));
        door.listenerThreads(config.maxHttpThreads());
        if (pool(config) != null) {
            // the host address service binds after this constructor; its arrival hands out the addresses
            LOG.info("Address pool {} on {}: VMs get their endpoints once the host address service (bundle "
                    + "vamt-address-pool) is there", pool(config), config.poolInterface());
            firstFill.countDown();   // with a pool the map fills as addresses are claimed
            announceMachinesListed();
        } else {
            door.routeAfter(firstFill);
        }
        reconcileListeners();
        if (pool(config) == null) {
            // the first fill off the activation thread (Karaf's boot waits for it): listing 10,000 VMs
            // takes seconds, and the first attempt may wait libvirt's whole connect timeout. At a fixed
            // rate: an attempt that waited out the timeout for a connection still being opened (the
            // test driver parses its whole XML first) is followed at once by the next, which gets the
            // connection when it is there; one refused at once waits 5 s
            retry = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "vamt-endpoints-sync"));
            retry.scheduleAtFixedRate(() -> {
                boolean filled = false;
                try {
                    filled = syncMachines();
                } finally {
                    firstFill.countDown();   // callers waiting for the first fill go on, filled or not
                }
                if (filled) {
                    announceMachinesListed();
                    retry.schedule(this::addMissedMachines, 2, TimeUnit.SECONDS);
                    retry.shutdown();
                }
            }, 0, 5, TimeUnit.SECONDS);
        }
    }

    /**
     * Lets the whole-VM scans that waited for the first listing start (the alarm clock's, CIRA's;
     * see {@link MachinesListed}). Outside OSGi (tests) there is nobody to tell.
     */
    private synchronized void announceMachinesListed() {
        org.osgi.framework.Bundle bundle = org.osgi.framework.FrameworkUtil.getBundle(EndpointServer.class);
        org.osgi.framework.BundleContext context = bundle == null ? null : bundle.getBundleContext();
        if (context != null && !deactivated && machinesListed == null) {
            machinesListed = context.registerService(MachinesListed.class, new MachinesListed() { }, null);
        }
    }

    /**
     * The hypervisor tells this component about changes only once its listener service is
     * registered, after this constructor's listing: a VM defined in between (a test or a
     * provisioning script defining VMs while vAMT starts) would get no endpoint. A second look
     * shortly after activation adds those, as their DEFINED event would have.
     */
    private void addMissedMachines() {
        try {
            java.util.Set<String> served = new java.util.HashSet<>();
            endpoints.all().forEach(e -> served.add(e.uuid().toLowerCase(java.util.Locale.ROOT)));
            for (MachineId m : hypervisor.listMachineIds()) {
                if (!served.contains(m.uuid().toLowerCase(java.util.Locale.ROOT))) {
                    apply(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.DEFINED));
                }
            }
        } catch (HypervisorException e) {
            LOG.warn("Cannot list VMs for a second look ({}); their events still come", e.getMessage());
        }
    }

    /**
     * The TLS identity arrived or was replaced: the TLS listeners (re)open with it, the plain ones
     * are left alone. Before, the component restarted whenever vamt-tls started after it, closing
     * the plain listener a moment after opening it (a console connecting then waited for nothing).
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindTls(TlsIdentity identity) {
        tls = identity;
        reopenTls();
    }

    public void unbindTls(TlsIdentity identity) {
        if (tls == identity) {
            tls = null;
            reopenTls();
        }
    }

    private synchronized void reopenTls() {
        listeners.entrySet().removeIf(l -> {
            if (!l.getKey().secure()) {
                return false;
            }
            l.getValue().close();
            return true;
        });
        reconcileListeners();
    }

    /** {@code vamt.endpoints} while a metrics service is there: read from the map, no hypervisor call. */
    private Metrics.Registration endpointGauge;   // guarded by this
    private Metrics metrics;                       // guarded by this

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMetrics")
    synchronized void bindMetrics(Metrics metrics) {
        closeEndpointGauge();
        this.metrics = metrics;
        endpointGauge = metrics.gauge("vamt.endpoints", "VM endpoints (one per VM with an address)",
                () -> {
                    MachineEndpoints map = endpoints;   // replaced on reconfiguration
                    return map == null ? 0 : map.count();
                });
    }

    synchronized void unbindMetrics(Metrics metrics) {
        if (this.metrics == metrics) {
            closeEndpointGauge();
        }
    }

    private void closeEndpointGauge() {
        if (endpointGauge != null) {
            endpointGauge.close();
            endpointGauge = null;
            metrics = null;
        }
    }

    /**
     * The service that puts pool addresses on the host arrived: the map is rebuilt from the kept
     * identities and every VM claims its address (in the background: probes take seconds).
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindHostAddresses(HostAddresses service) {
        hostAddresses = service;
        if (pool(config) != null) {
            inPoolWork(this::rebuild);
        } else {
            inPoolWork(() -> releaseUnused(endpoints, false));   // what a run with a pool left behind
        }
    }

    /** Gone (its bundle stopped, taking its addresses off the interface): the pool's VMs have no endpoint until it is back. */
    public void unbindHostAddresses(HostAddresses service) {
        if (hostAddresses == service) {
            hostAddresses = null;
            if (pool(config) != null) {
                inPoolWork(this::rebuild);
            }
        }
    }

    /** Runs {@code task} on the pool's thread; nothing once this component has stopped (DS unbinds after that). */
    private void inPoolWork(Runnable task) {
        try {
            poolWork.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // deactivated: nothing left to hand out or release
        }
    }

    /** Protocol handlers (WS-Management, AMT's legacy SOAP…), by path. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addPathHandler(EndpointPathHandler pathHandler, Map<String, Object> properties) {
        pathHandlers.add(pathHandler, properties);
    }

    public void removePathHandler(EndpointPathHandler pathHandler) {
        pathHandlers.remove(pathHandler);
    }

    /**
     * A new configuration, applied in place: limits at once; a new layout (strategy, addresses,
     * ports) rebuilds the map from the kept identities; listeners open and close only where their
     * address or port changed.
     */
    @Modified
    public void modified(Config next) {
        check(next);
        Config before = config;
        config = next;
        door.limits(limits(next));
        door.connectionLimits(connectionLimits(next));
        door.listenerThreads(next.maxHttpThreads());
        synchronized (this) {
            listeners.values().forEach(l -> l.threads(next.maxHttpThreads()));
        }
        if (!settings(next).equals(settings(before)) || !poolKey(next).equals(poolKey(before))) {
            if (pool(next) != null || pool(before) != null) {
                inPoolWork(this::rebuild);
            } else {
                rebuild();
            }
        }
        reconcileListeners();
        LOG.info("Endpoint configuration applied in place ({} listeners)", listeners.size());
    }

    /**
     * The map rebuilt from the kept identities for the current configuration, every VM synced (with
     * a pool: each claims its address), and pool addresses no VM holds any more taken off the host.
     */
    private void rebuild() {
        Config c = config;
        MachineEndpoints rebuilt = new MachineEndpoints(settings(c), store, addressSource(c));
        endpoints = rebuilt;
        door.endpoints(rebuilt);
        if (pool(c) != null && hostAddresses == null) {
            LOG.warn("Address pool {} on {}: no host address service (bundle vamt-address-pool); the VMs have no "
                    + "endpoint until it starts", pool(c), c.poolInterface());
        } else if (!syncMachines()) {
            if (pool(c) != null) {
                try {
                    poolWork.schedule(this::rebuild, 5, TimeUnit.SECONDS);   // the addresses it holds stay meanwhile
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    // deactivated meanwhile
                }
            }
            return;
        }
        releaseUnused(rebuilt, pool(c) != null);
    }

    /** Takes off the host every address vAMT put there that no endpoint of this map uses (all of them without a pool). */
    private void releaseUnused(MachineEndpoints map, boolean poolOn) {
        HostAddresses host = hostAddresses;
        if (host == null) {
            return;
        }
        java.util.Set<String> used = new java.util.HashSet<>();
        if (poolOn) {
            map.all().forEach(e -> used.add(e.address()));
        }
        for (String held : host.held().keySet()) {
            if (!used.contains(held)) {
                try {
                    host.release(held);
                } catch (RuntimeException e) {
                    LOG.warn("Address pool: cannot take {} off the host: {}", held, e.getMessage());
                }
            }
        }
    }

    /** The address pool of the address strategy, or null. */
    private static AddressPool pool(Config c) {
        return MachineEndpoints.Strategy.parse(c.strategy()) == MachineEndpoints.Strategy.ADDRESS
                ? AddressPool.parse(c.addressPool()) : null;
    }

    private static String poolKey(Config c) {
        return c.addressPool().trim() + "@" + c.poolInterface().trim();
    }

    /** Addresses from firstAddress upwards, or the pool's, each claimed on the host through {@link HostAddresses}. */
    private MachineEndpoints.AddressSource addressSource(Config c) {
        AddressPool pool = pool(c);
        if (pool == null) {
            return MachineEndpoints.AddressSource.UNBOUNDED;
        }
        String nic = c.poolInterface().trim();
        return new MachineEndpoints.AddressSource() {
            @Override
            public AddressPool pool() {
                return pool;
            }

            @Override
            public boolean take(String address, String vm) {
                HostAddresses host = hostAddresses;
                if (host == null) {
                    throw new IllegalStateException("no host address service (bundle vamt-address-pool)");
                }
                HostAddresses.Claim claim;
                try {
                    claim = host.claim(nic, address);
                } catch (IllegalStateException refused) {
                    if (!poolWork.isShutdown()) {   // not when this component stops and interrupts a probe
                        LOG.error("Address pool: VM '{}' gets no endpoint: {}", vm, refused.getMessage());
                    }
                    throw refused;
                }
                if (claim == HostAddresses.Claim.IN_USE) {
                    if (inUseOnLan.add(address)) {   // said once, not again for every VM that probes it
                        LOG.warn("Address pool: {} is in use by another host on the LAN (it answered the ARP probe); "
                                + "not taken, VM '{}' tries the next address", address, vm);
                    }
                    return false;
                }
                inUseOnLan.remove(address);
                return true;
            }

            @Override
            public void giveBack(String address) {
                HostAddresses host = hostAddresses;
                if (host != null) {
                    try {
                        host.release(address);
                    } catch (RuntimeException e) {
                        LOG.warn("Address pool: cannot take {} off {}: {}", address, nic, e.getMessage());
                    }
                }
            }
        };
    }

    private static void check(Config c) {
        if (c.port() < 1 || c.port() > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + c.port());
        }
        MachineEndpoints.Strategy.parse(c.strategy());
        if (pool(c) != null && !c.poolInterface().trim().matches("[A-Za-z0-9_.:@-]{1,15}")) {
            throw new IllegalArgumentException("addressPool needs poolInterface, the network interface to add its "
                    + "addresses to (e.g. eth0), got '" + c.poolInterface() + "'");
        }
        limits(c);
        connectionLimits(c);
        if (c.maxHttpThreads() < 16) {
            throw new IllegalArgumentException("maxHttpThreads must be at least 16, got " + c.maxHttpThreads());
        }
    }

    private static HttpDoor.Limits limits(Config c) {
        return new HttpDoor.Limits(c.maxRequestBytes(), c.maxConcurrentOperations(), 2_000,
                c.maxOperationSeconds() * 1000, c.requestBodySeconds() * 1000L);
    }

    private static ConnectionGuard.Limits connectionLimits(Config c) {
        return new ConnectionGuard.Limits(c.requestHeaderSeconds() * 1000L, c.maxUnauthenticatedConnectionsPerSource(),
                c.maxUnauthenticatedConnections());
    }

    /** The layout depends on the configuration only, never on which bundles happen to run. */
    private static MachineEndpoints.Settings settings(Config c) {
        return new MachineEndpoints.Settings(MachineEndpoints.Strategy.parse(c.strategy()), c.firstAddress(), c.port(),
                c.firstPort(), configuredTlsPort(c) > 0 ? 2 : 1, c.hostSuffix());
    }

    /** The configured TLS port if valid, else 0. */
    private static int configuredTlsPort(Config c) {
        int p = c.tlsPort();
        if (p != 0 && (p < 0 || p > 65535 || p == c.port())) {
            LOG.error("tlsPort must be 1-65535 and differ from port {}, got {}; no TLS listener", c.port(), p);
            return 0;
        }
        return p;
    }

    /** The TLS port in use: 0 without a valid one or without a TLS identity (the plain port keeps serving). */
    private int tlsPort(Config c) {
        int p = configuredTlsPort(c);
        if (p == 0) {
            return 0;
        }
        if (tls == null) {
            LOG.warn("No TLS identity service (bundle vamt-tls); TLS on {} is off until it starts", p);
            return 0;
        }
        return p;
    }

    /**
     * The endpoint map's one file (by default etc/vamt-endpoints.properties, so it survives
     * {@code bin/karaf clean}). Identities kept the way versions up to issue 21 kept them, one Config
     * Admin configuration and one etc/org.vamt.endpoint-&lt;uuid&gt;.cfg per VM, are taken into it
     * when the map is read (they win: they were the one source) and then deleted.
     */
    private static WriteBehindStore store(ConfigurationAdmin configAdmin, Path path) {
        String karafEtc = System.getProperty("karaf.etc");
        return new WriteBehindStore(new EndpointFile(path, new LegacyEndpointConfigurations(configAdmin,
                karafEtc == null ? null : Paths.get(karafEtc))));
    }

    /** Opens the listeners the configuration and the VMs need, closes the others. */
    private synchronized void reconcileListeners() {
        if (deactivated) {
            return;
        }
        Config c = config;
        MachineEndpoints map = endpoints;
        int tlsPort = tlsPort(c);
        Map<Binding, MachineEndpoints.Endpoint> wanted = new LinkedHashMap<>();
        if (map.strategy() == MachineEndpoints.Strategy.PORT) {
            for (MachineEndpoints.Endpoint e : map.all()) {
                wanted.put(new Binding(c.bindAddress(), e.port(), false), e);
                if (tlsPort > 0) {
                    wanted.put(new Binding(c.bindAddress(), e.port() + 1, true), e);
                }
            }
        } else {
            wanted.put(new Binding(c.bindAddress(), c.port(), false), null);
            if (tlsPort > 0) {
                wanted.put(new Binding(c.bindAddress(), tlsPort, true), null);
            }
        }
        listeners.entrySet().removeIf(l -> {
            if (wanted.containsKey(l.getKey())) {
                return false;
            }
            l.getValue().close();
            return true;
        });
        for (Map.Entry<Binding, MachineEndpoints.Endpoint> w : wanted.entrySet()) {
            Binding b = w.getKey();
            if (listeners.containsKey(b)) {
                continue;
            }
            TlsIdentity identity = tls;
            if (b.secure() && identity == null) {
                continue;   // gone meanwhile; it reopens when an identity binds
            }
            try {
                listeners.put(b, b.secure() ? CxfHttpListener.https(b.address(), b.port(), door, identity)
                        : new CxfHttpListener(b.address(), b.port(), door));
                if (b.secure()) {
                    LOG.info("TLS on {}:{}: certificate SHA-1 {}, protocols {}", b.address(), b.port(),
                            identity.sha1Fingerprint(), identity.protocols());
                }
            } catch (RuntimeException ex) {
                String vm = w.getValue() == null ? "" : "VM '" + w.getValue().name() + "': ";
                if (w.getValue() == null && !b.secure()) {
                    throw ex;   // the main port: without it there is no service at all
                }
                LOG.error("{}cannot listen on {}:{}: {}", vm, b.address(), b.port(), ex.getMessage());
            }
        }
    }

    /** Reads the hypervisor's machines into the endpoint map; false when the hypervisor is unreachable. */
    private boolean syncMachines() {
        try {
            // identities only: the map needs no state, and a full listing costs ~7 libvirt calls a VM
            List<MachineId> machines = hypervisor.listMachineIds();
            MachineEndpoints map = endpoints;
            map.sync(machines);
            if (map.strategy() == MachineEndpoints.Strategy.PORT) {
                reconcileListeners();
            }
            List<MachineEndpoints.Endpoint> all = map.all();
            for (MachineEndpoints.Endpoint e : all) {
                withoutEndpoint.remove(e.uuid());
                if (LOG.isDebugEnabled()) {
                    LOG.debug("vAMT endpoint: VM '{}' ({}) at {} realm {}", e.name(), e.uuid(), url(e), e.realm());
                }
            }
            // one line, not one per VM: 10,000 lines cost seconds of a start (each VM at DEBUG)
            LOG.info("vAMT endpoints: {} VMs{}; every VM's endpoint in {} and by vamt:endpoint-list", all.size(),
                    all.isEmpty() ? "" : ", " + url(all.get(0)) + (all.size() == 1 ? "" : " … " + url(all.get(all.size() - 1))),
                    endpointsFile);
            if (poolWork.isShutdown()) {
                return true;   // stopping: a probe was cut short, nothing to report
            }
            withoutEndpoint.clear();
            java.util.Set<String> served = new java.util.HashSet<>();
            map.all().forEach(e -> served.add(e.uuid().toLowerCase(java.util.Locale.ROOT)));
            for (MachineId m : machines) {
                if (!served.contains(m.uuid().toLowerCase(java.util.Locale.ROOT))) {
                    noEndpoint(m.uuid(), m.name());
                }
            }
            return true;
        } catch (HypervisorException e) {
            LOG.warn("Cannot list VMs yet ({}); retrying", e.getMessage());
            return false;
        }
    }

    private void logEndpoint(MachineEndpoints.Endpoint e) {
        withoutEndpoint.remove(e.uuid());
        LOG.info("vAMT endpoint: VM '{}' ({}) at {} realm {}", e.name(), e.uuid(), url(e), e.realm());
    }

    /** A VM the pool had no address for: said once, and listed by vamt:address-pool. */
    private void noEndpoint(String uuid, String name) {
        withoutEndpoint.put(uuid, name);
        Config c = config;
        LOG.warn("vAMT endpoint: VM '{}' ({}) has none: no address of the address pool {} could be taken ({} "
                + "addresses: {} held by VMs, {} in use on the LAN; an error above names any other cause). "
                + "Widen addressPool, or undefine a VM", name, uuid, pool(c), pool(c) == null ? 0 : pool(c).size(),
                endpoints.all().size(), inUseOnLan.size());
    }

    @Override
    public void machineChanged(MachineEvent event) {
        if (pool(config) != null) {
            inPoolWork(() -> apply(event));   // claims probe the LAN for seconds: not on libvirt's event thread
        } else {
            apply(event);
        }
    }

    private void apply(MachineEvent event) {
        MachineEndpoints map = endpoints;
        switch (event.type()) {
            case DEFINED -> {
                MachineEndpoints.Endpoint added;
                try {
                    added = map.add(event.uuid(), event.name());
                } catch (IllegalStateException hostRefused) {
                    withoutEndpoint.put(event.uuid(), event.name());   // logged by the address source
                    return;
                }
                if (added == null) {
                    noEndpoint(event.uuid(), event.name());
                    return;
                }
                logEndpoint(added);
                reconcileIfPerPort(map);
            }
            case UNDEFINED -> {
                // libvirt renames a domain as "undefined" under the old name, then "defined" under
                // the new one: a domain still there under its UUID was renamed and keeps its endpoint
                Optional<MachineInfo> still = stillDefined(event.uuid());
                if (still.isPresent()) {
                    MachineEndpoints.Endpoint kept = map.add(event.uuid(), still.get().name());
                    if (kept != null) {
                        logEndpoint(kept);
                    }
                    return;
                }
                map.remove(event.uuid()).ifPresent(e ->
                        LOG.info("vAMT endpoint removed: VM '{}' ({}) was at {}", e.name(), e.uuid(), url(e)));
                withoutEndpoint.remove(event.uuid());
                reconcileIfPerPort(map);
                if (!withoutEndpoint.isEmpty() && pool(config) != null) {
                    syncMachines();   // the address it gave back may be another VM's
                }
            }
            default -> { }
        }
    }

    private void reconcileIfPerPort(MachineEndpoints map) {
        if (map.strategy() == MachineEndpoints.Strategy.PORT) {
            reconcileListeners();
        }
    }

    private Optional<MachineInfo> stillDefined(String uuid) {
        try {
            return hypervisor.machine(uuid);
        } catch (HypervisorException e) {
            // cannot tell: the event is what we know
            return Optional.empty();
        }
    }

    @Deactivate
    public synchronized void deactivate() {
        deactivated = true;
        closeEndpointGauge();
        if (machinesListed != null) {
            try {
                machinesListed.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            machinesListed = null;
        }
        if (retry != null) {
            retry.shutdownNow();
        }
        firstFill.countDown();
        poolWork.shutdownNow();
        listeners.values().forEach(CxfHttpListener::close);
        listeners.clear();
        if (tunnels != null) {
            tunnels.close();
            tunnels = null;
        }
        door.close();
        store.close();
    }

    /**
     * A tunnelled stream (a CIRA channel) to VM {@code vmUuid}'s port: the same door as the
     * listeners, routed by the VM: WS-Management on 16992, and on 16993 with TLS inside the stream
     * (while a TLS identity is there).
     */
    @Override
    public Optional<TunnelDoor.Stream> open(String vmUuid, int port, java.net.InetSocketAddress peer, Sink toPeer) {
        HttpDoor.awaitFill(firstFill);
        if (endpoints.byUuid(vmUuid).isEmpty()) {
            return Optional.empty();
        }
        TunnelServer t;
        synchronized (this) {
            if (deactivated) {
                return Optional.empty();   // a caller still holding this stopped component
            }
            if (tunnels == null) {
                tunnels = new TunnelServer(door);
            }
            t = tunnels;
        }
        return t.open(vmUuid, port, peer, toPeer, tls);
    }

    @Override
    public Endpoint move(String uuid, String target) {
        HttpDoor.awaitFill(firstFill);
        MachineEndpoints map = endpoints;
        MachineEndpoints.Endpoint e = map.move(uuid, target);
        reconcileIfPerPort(map);
        logEndpoint(e);
        return published(e);
    }

    @Override
    public Optional<Endpoint> route(String localAddress, int localPort, boolean secure, String hostHeader) {
        HttpDoor.awaitFill(firstFill);
        return endpoints.route(localAddress, localPort, secure, hostHeader).map(this::published);
    }

    private String url(MachineEndpoints.Endpoint e) {
        String host = endpoints.strategy() == MachineEndpoints.Strategy.HOST ? e.hostName() : e.address();
        return "http://" + host + ":" + e.port() + "/wsman";
    }

    private Endpoint published(MachineEndpoints.Endpoint e) {
        return new Endpoint(e.uuid(), e.name(), e.address(), e.port(), e.hostName(), e.realm(), url(e));
    }

    @Override
    public List<Endpoint> endpoints() {
        HttpDoor.awaitFill(firstFill);
        return endpoints.all().stream().map(this::published).toList();
    }

    @Override
    public Optional<AddressPoolState> addressPool() {
        Config c = config;
        AddressPool pool = pool(c);
        if (pool == null) {
            return Optional.empty();
        }
        HostAddresses host = hostAddresses;
        Map<String, String> held = host == null ? Map.of() : host.held();
        Map<String, String> vms = new java.util.HashMap<>();
        endpoints.all().forEach(e -> vms.put(e.address(), e.name()));
        List<PoolAddress> taken = new java.util.ArrayList<>();
        for (String a : pool.addresses()) {
            if (vms.containsKey(a) || inUseOnLan.contains(a) || held.containsKey(a)) {
                taken.add(new PoolAddress(a, vms.get(a), held.containsKey(a), inUseOnLan.contains(a)));
            }
        }
        return Optional.of(new AddressPoolState(pool.toString(), c.poolInterface().trim(), pool.size(), taken,
                withoutEndpoint.values().stream().sorted().toList()));
    }
}
