package org.vamt.wsman.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
import org.vamt.accounts.AuditTrail;
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
 * The WS-Management listener: one CXF Jetty destination on the configured port, serving every VM
 * at its own address. Endpoints follow the hypervisor's define/undefine events.
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

        @AttributeDefinition(description = "Address of the first VM's endpoint; later VMs take the next ones")
        String firstAddress() default "127.0.0.2";

        @AttributeDefinition(description = "Where each VM's address is kept across restarts; "
                + "empty = ${karaf.etc}/vamt-endpoints.properties")
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
    private ScheduledExecutorService retry;
    private final String bindAddress;
    private final int port;

    /** Optional: without an audit log bundle, nothing is recorded. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile AuditTrail auditTrail;

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
                       TlsIdentity tls) {
        this.cimom = cimom;
        this.hypervisor = hypervisor;
        this.bindAddress = config.bindAddress();
        this.port = config.port();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        this.endpoints = new MachineEndpoints(config.firstAddress(), config.endpointsFile().isBlank()
                ? java.nio.file.Paths.get(System.getProperty("karaf.etc", "etc"), "vamt-endpoints.properties")
                : java.nio.file.Paths.get(config.endpointsFile()));
        DigestAuthenticator digest = new DigestAuthenticator(users::ha1, config.nonceLifetimeSeconds() * 1000, 10_000);
        WsmanOperations ops = new WsmanOperations(cimom, new EnumerationContexts(
                config.enumerationIdleSeconds() * 1000, config.maxEnumerationsPerUser()));
        WsmanHttpHandler handler = new WsmanHttpHandler(endpoints, digest, ops, VamtProduct.amtVersion(),
                config.maxRequestBytes(), new WsmanHttpHandler.Security(users,
                        new LoginThrottle(config.maxFailedLogins(), config.lockoutSeconds() * 1000), () -> auditTrail),
                new WsmanHttpHandler.Limits(config.maxConcurrentOperations(), 2_000,
                        config.maxOperationSeconds() * 1000));
        this.handler = handler;
        listener = new CxfHttpListener(bindAddress, port, handler);
        tlsListener = openTlsListener(config.tlsPort(), handler, tls);
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

    /** Reads the hypervisor's machines into the endpoint map; false when the hypervisor is unreachable. */
    private boolean syncMachines() {
        try {
            List<MachineInfo> machines = hypervisor.listMachines();
            endpoints.sync(machines);
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
        LOG.info("vAMT endpoint: VM '{}' ({}) at http://{}:{}/wsman realm {}", e.name(), e.uuid(), e.address(), port,
                e.realm());
    }

    @Override
    public void machineChanged(MachineEvent event) {
        MachineEndpoints map = endpoints;
        if (map == null) {
            return;
        }
        switch (event.type()) {
            case DEFINED -> logEndpoint(map.add(event.uuid(), event.name()));
            case UNDEFINED -> map.remove(event.uuid()).ifPresent(e ->
                    LOG.info("vAMT endpoint removed: VM '{}' ({}) was at {}", e.name(), e.uuid(), e.address()));
            default -> { }
        }
    }

    @Deactivate
    void deactivate() {
        if (retry != null) {
            retry.shutdownNow();
        }
        listener.close();
        handler.close();
        if (tlsListener != null) {
            tlsListener.close();
        }
        endpoints = null;
    }

    @Override
    public WsmanEndpoints.Endpoint move(String uuid, String address) {
        MachineEndpoints map = endpoints;
        if (map == null) {
            throw new IllegalStateException("the WS-Management server is stopping");
        }
        MachineEndpoints.Endpoint e = map.move(uuid, address);
        logEndpoint(e);
        return new WsmanEndpoints.Endpoint(e.uuid(), e.name(), e.address(), port, e.realm());
    }

    @Override
    public List<WsmanEndpoints.Endpoint> endpoints() {
        MachineEndpoints map = endpoints;
        return map == null ? List.of() : map.all().stream()
                .map(e -> new WsmanEndpoints.Endpoint(e.uuid(), e.name(), e.address(), port, e.realm())).toList();
    }
}
