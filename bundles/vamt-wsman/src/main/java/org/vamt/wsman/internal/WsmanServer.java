package org.vamt.wsman.internal;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.cm.ConfigurationAdmin;
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
import org.vamt.security.AuditTrail;
import org.vamt.accounts.UserAccounts;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.wsman.EndpointPathHandler;
import org.vamt.wsman.WsmanEndpoints;
import org.vamt.tls.TlsIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WS-Management endpoint manager and listeners. Every VM is told apart by its own address on
 * the configured ports (strategy {@code address}), its own port ({@code port}: one listener per
 * VM, opened and closed as VMs come and go) or its host name in the {@code Host} header
 * ({@code host}). Endpoints follow the hypervisor's define/undefine/rename events; identities
 * are kept as Config Admin factory configurations ({@code org.vamt.endpoint}, one per VM).
 */
@Component(service = {MachineListener.class, WsmanEndpoints.class}, immediate = true, configurationPid = WsmanServer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WsmanServer.Config.class)
public class WsmanServer implements MachineListener, WsmanEndpoints {
    static final String PID = "org.vamt.wsman";
    private static final Logger LOG = LoggerFactory.getLogger(WsmanServer.class);

    @ObjectClassDefinition(name = "vAMT WS-Management", description = "AMT-compatible WS-Management endpoints")
    public @interface Config {
        @AttributeDefinition(description = "Local address to listen on; VMs are told apart by the address a "
                + "connection arrives at, so this is normally the wildcard")
        String bindAddress() default "0.0.0.0";

        @AttributeDefinition(description = "WS-Management HTTP port (AMT: 16992)")
        int port() default 16992;

        @AttributeDefinition(description = "WS-Management HTTPS port (AMT: 16993); 0 = no TLS listener")
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

        @AttributeDefinition(description = "Where identities were kept before Config Admin (migrated on first start), "
                + "and where they are kept without Config Admin; empty = ${karaf.etc}/vamt-endpoints.properties")
        String endpointsFile() default "";

        @AttributeDefinition(description = "Seconds a Digest nonce stays valid after its last use")
        long nonceLifetimeSeconds() default 600;

        @AttributeDefinition(description = "Largest request body accepted, in bytes")
        int maxRequestBytes() default 262144;

        @AttributeDefinition(description = "Seconds an idle enumeration context is kept")
        long enumerationIdleSeconds() default 120;

        @AttributeDefinition(description = "Open enumeration contexts allowed per VM and user")
        int maxEnumerationsPerUser() default 64;

        @AttributeDefinition(description = "Failed logins in a row (one user, one client address) before a lockout")
        int maxFailedLogins() default 5;

        @AttributeDefinition(description = "Seconds a user stays locked out after too many failed logins")
        long lockoutSeconds() default 60;

        @AttributeDefinition(description = "Operations run at once; more wait up to 2 s, then get HTTP 503")
        int maxConcurrentOperations() default 64;

        @AttributeDefinition(description = "Longest an operation may run (a client's OperationTimeout may be shorter)")
        long maxOperationSeconds() default 60;
    }

    private final CimObjectManager cimom;
    private final Hypervisor hypervisor;
    private volatile MachineEndpoints endpoints;
    private final CxfHttpListener listener;
    private final WsmanHttpHandler handler;
    private final CxfHttpListener tlsListener;
    /** strategy port: each VM's listeners by port (HTTP and TLS). Guarded by itself. */
    private final Map<Integer, CxfHttpListener> vmListeners = new TreeMap<>();
    private final int tlsPort;
    private final TlsIdentity tls;
    private ScheduledExecutorService retry;
    private final String bindAddress;
    private final int port;

    /** Audit events go to the audit log bundle once it is there (held until then). */
    private final AuditForwarder audit = new AuditForwarder(10_000);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAuditTrail(AuditTrail trail) {
        audit.bind(trail);
    }

    void unbindAuditTrail(AuditTrail trail) {
        audit.unbind(trail);
    }

    /** Extra paths on every endpoint (e.g. AMT's legacy SOAP services), behind the same Digest door. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addPathHandler(EndpointPathHandler pathHandler, Map<String, Object> properties) {
        handler.pathHandlers().add(pathHandler, properties);
    }

    void removePathHandler(EndpointPathHandler pathHandler) {
        handler.pathHandlers().remove(pathHandler);
    }

    @Activate
    public WsmanServer(@Reference CimObjectManager cimom, @Reference Hypervisor hypervisor,
                       @Reference UserAccounts users, Config config,
                       @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                       TlsIdentity tls,
                       @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                       ConfigurationAdmin configAdmin) {
        this.cimom = cimom;
        this.hypervisor = hypervisor;
        this.bindAddress = config.bindAddress();
        this.port = config.port();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        this.tlsPort = config.tlsPort();
        this.tls = tls;
        MachineEndpoints.Strategy strategy = MachineEndpoints.Strategy.parse(config.strategy());
        EndpointFile file = new EndpointFile(config.endpointsFile().isBlank()
                ? Paths.get(System.getProperty("karaf.etc", "etc"), "vamt-endpoints.properties")
                : Paths.get(config.endpointsFile()));
        this.endpoints = new MachineEndpoints(new MachineEndpoints.Settings(strategy, config.firstAddress(), port,
                config.firstPort(), tlsPort > 0 ? 2 : 1, config.hostSuffix()), store(configAdmin, file));
        DigestAuthenticator digest = new DigestAuthenticator(users::ha1, config.nonceLifetimeSeconds() * 1000, 10_000);
        WsmanOperations ops = new WsmanOperations(cimom, new EnumerationContexts(
                config.enumerationIdleSeconds() * 1000, config.maxEnumerationsPerUser()));
        WsmanHttpHandler handler = new WsmanHttpHandler(endpoints, digest, ops, VamtProduct.amtVersion(),
                config.maxRequestBytes(), new WsmanHttpHandler.Security(users,
                        new LoginThrottle(config.maxFailedLogins(), config.lockoutSeconds() * 1000), audit),
                new WsmanHttpHandler.Limits(config.maxConcurrentOperations(), 2_000,
                        config.maxOperationSeconds() * 1000));
        this.handler = handler;
        if (strategy == MachineEndpoints.Strategy.PORT) {
            listener = null;
            tlsListener = null;
        } else {
            listener = new CxfHttpListener(bindAddress, port, handler);
            tlsListener = openTlsListener(config.tlsPort(), handler, tls);
        }
        if (!syncMachines()) {
            retry = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "vamt-wsman-sync"));
            retry.scheduleWithFixedDelay(() -> {
                if (syncMachines()) {
                    retry.shutdown();
                }
            }, 5, 5, TimeUnit.SECONDS);
        }
    }

    /**
     * The TLS twin of the plain listener: same handler (Digest, dispatch by local address), the
     * TLS identity's certificate, protocols and suites. Without a TLS identity, or when the port
     * cannot be opened, the plain port keeps serving and the reason is logged.
     */
    private CxfHttpListener openTlsListener(int tlsPort, WsmanHttpHandler handler, TlsIdentity tls) {
        if (tlsPort == 0) {
            return null;
        }
        if (tlsPort < 0 || tlsPort > 65535 || tlsPort == port) {
            LOG.error("tlsPort must be 1-65535 and differ from port {}, got {}; no TLS listener", port, tlsPort);
            return null;
        }
        if (tls == null) {
            LOG.warn("No TLS identity service (bundle vamt-tls); WS-Management over TLS on {} is off until it starts",
                    tlsPort);
            return null;
        }
        try {
            CxfHttpListener l = CxfHttpListener.https(bindAddress, tlsPort, handler, tls);
            LOG.info("WS-Management over TLS on {}:{}: certificate SHA-1 {}, protocols {}", bindAddress, tlsPort,
                    tls.sha1Fingerprint(), tls.protocols());
            return l;
        } catch (RuntimeException e) {
            LOG.error("Cannot open the TLS listener on {}:{}; only port {} serves: {}", bindAddress, tlsPort, port,
                    e.getMessage());
            return null;
        }
    }

    /**
     * Config Admin when there is one, with the properties file as its copy; when Config Admin
     * holds no endpoint (first start after an upgrade, or after {@code bin/karaf clean}) the
     * identities are taken from the file. Without Config Admin, the file alone.
     */
    private static MachineEndpoints.Store store(ConfigurationAdmin configAdmin, EndpointFile file) {
        if (configAdmin == null) {
            return file;
        }
        EndpointConfigurations configurations = new EndpointConfigurations(configAdmin);
        return new MachineEndpoints.Store() {
            @Override
            public Map<String, MachineEndpoints.Identity> load() {
                Map<String, MachineEndpoints.Identity> kept = configurations.load();
                if (kept.isEmpty() && Files.exists(file.file())) {
                    kept = file.load();
                    configurations.save(kept.values());
                    LOG.info("Endpoint identities of {} VMs taken from {} into Config Admin ({})", kept.size(),
                            file.file(), EndpointConfigurations.FACTORY_PID);
                }
                return kept;
            }

            @Override
            public void save(Collection<MachineEndpoints.Identity> identities) {
                configurations.save(identities);
                file.save(identities);
            }
        };
    }

    /** strategy port: opens a listener for every VM port that has none, closes those of VMs gone. */
    private void openVmListeners() {
        MachineEndpoints map = endpoints;
        if (map == null || map.strategy() != MachineEndpoints.Strategy.PORT) {
            return;
        }
        synchronized (vmListeners) {
            Set<Integer> wanted = new java.util.TreeSet<>();
            for (MachineEndpoints.Endpoint e : map.all()) {
                wanted.add(e.port());
                if (tlsPort > 0 && tls != null) {
                    wanted.add(e.port() + 1);
                }
            }
            for (Integer open : List.copyOf(vmListeners.keySet())) {
                if (!wanted.contains(open)) {
                    vmListeners.remove(open).close();
                }
            }
            for (MachineEndpoints.Endpoint e : map.all()) {
                openVmListener(e, e.port(), false);
                if (tlsPort > 0 && tls != null) {
                    openVmListener(e, e.port() + 1, true);
                }
            }
        }
    }

    private void openVmListener(MachineEndpoints.Endpoint e, int vmPort, boolean secure) {
        if (vmListeners.containsKey(vmPort)) {
            return;
        }
        try {
            vmListeners.put(vmPort, secure ? CxfHttpListener.https(bindAddress, vmPort, handler, tls)
                    : new CxfHttpListener(bindAddress, vmPort, handler));
        } catch (RuntimeException ex) {
            LOG.error("VM '{}': cannot listen on port {}: {}", e.name(), vmPort, ex.getMessage());
        }
    }

    /** Reads the hypervisor's machines into the endpoint map; false when the hypervisor is unreachable. */
    private boolean syncMachines() {
        try {
            List<MachineInfo> machines = hypervisor.listMachines();
            endpoints.sync(machines);
            openVmListeners();
            for (MachineEndpoints.Endpoint e : endpoints.all()) {
                logEndpoint(e);
            }
            return true;
        } catch (HypervisorException e) {
            LOG.warn("Cannot list VMs yet ({}); retrying", e.getMessage());
            return false;
        }
    }

    private void logEndpoint(MachineEndpoints.Endpoint e) {
        LOG.info("vAMT endpoint: VM '{}' ({}) at {} realm {}", e.name(), e.uuid(), url(e), e.realm());
    }

    @Override
    public void machineChanged(MachineEvent event) {
        MachineEndpoints map = endpoints;
        if (map == null) {
            return;
        }
        switch (event.type()) {
            case DEFINED -> {
                logEndpoint(map.add(event.uuid(), event.name()));
                openVmListeners();
            }
            case UNDEFINED -> {
                // libvirt renames a domain as "undefined" under the old name, then "defined" under
                // the new one: a domain still there under its UUID was renamed and keeps its endpoint
                java.util.Optional<MachineInfo> still = stillDefined(event.uuid());
                if (still.isPresent()) {
                    logEndpoint(map.add(event.uuid(), still.get().name()));
                    return;
                }
                map.remove(event.uuid()).ifPresent(e ->
                        LOG.info("vAMT endpoint removed: VM '{}' ({}) was at {}", e.name(), e.uuid(), url(e)));
                openVmListeners();
            }
            default -> { }
        }
    }

    private java.util.Optional<MachineInfo> stillDefined(String uuid) {
        try {
            return hypervisor.machine(uuid);
        } catch (HypervisorException e) {
            // cannot tell: the event is what we know
            return java.util.Optional.empty();
        }
    }

    @Deactivate
    void deactivate() {
        if (retry != null) {
            retry.shutdownNow();
        }
        if (listener != null) {
            listener.close();
        }
        if (tlsListener != null) {
            tlsListener.close();
        }
        synchronized (vmListeners) {
            vmListeners.values().forEach(CxfHttpListener::close);
            vmListeners.clear();
        }
        handler.close();
        endpoints = null;
    }

    @Override
    public WsmanEndpoints.Endpoint move(String uuid, String address) {
        MachineEndpoints map = endpoints;
        if (map == null) {
            throw new IllegalStateException("the WS-Management server is stopping");
        }
        MachineEndpoints.Endpoint e = map.move(uuid, address);
        openVmListeners();
        logEndpoint(e);
        return published(e);
    }

    private String url(MachineEndpoints.Endpoint e) {
        MachineEndpoints map = endpoints;
        String host = map != null && map.strategy() == MachineEndpoints.Strategy.HOST ? e.hostName() : e.address();
        return "http://" + host + ":" + e.port() + "/wsman";
    }

    private WsmanEndpoints.Endpoint published(MachineEndpoints.Endpoint e) {
        return new WsmanEndpoints.Endpoint(e.uuid(), e.name(), e.address(), e.port(), e.hostName(), e.realm(), url(e));
    }

    @Override
    public List<WsmanEndpoints.Endpoint> endpoints() {
        MachineEndpoints map = endpoints;
        return map == null ? List.of() : map.all().stream()
                .map(this::published).toList();
    }
}
