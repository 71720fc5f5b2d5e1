package org.vamt.wsman.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.tls.TlsIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WS-Management listener: one CXF Jetty destination on the configured port, serving every VM
 * at its own address. Endpoints follow the hypervisor's define/undefine events.
 */
@Component(service = MachineListener.class, immediate = true, configurationPid = WsmanServer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WsmanServer.Config.class)
public class WsmanServer implements MachineListener {
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

        @AttributeDefinition(description = "Users file (passwords encrypted); empty = ${karaf.etc}/vamt-users.properties")
        String usersFile() default "";

        @AttributeDefinition(description = "Seconds a Digest nonce stays valid after its last use")
        long nonceLifetimeSeconds() default 600;

        @AttributeDefinition(description = "Largest request body accepted, in bytes")
        int maxRequestBytes() default 262144;

        @AttributeDefinition(description = "Seconds an idle enumeration context is kept")
        long enumerationIdleSeconds() default 120;

        @AttributeDefinition(description = "Open enumeration contexts allowed per VM and user")
        int maxEnumerationsPerUser() default 64;
    }

    private final CimObjectManager cimom;
    private final Hypervisor hypervisor;
    private volatile MachineEndpoints endpoints;
    private final CxfHttpListener listener;
    private final CxfHttpListener tlsListener;
    private ScheduledExecutorService retry;
    private final String bindAddress;
    private final int port;

    @Activate
    public WsmanServer(@Reference CimObjectManager cimom, @Reference Hypervisor hypervisor, Config config,
                       @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                       TlsIdentity tls)
            throws IOException, GeneralSecurityException {
        this.cimom = cimom;
        this.hypervisor = hypervisor;
        this.bindAddress = config.bindAddress();
        this.port = config.port();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        this.endpoints = new MachineEndpoints(config.firstAddress());
        UserDirectory users = UserDirectory.open(usersFile(config), keyFile(config),
                System.getenv("VAMT_ADMIN_PASSWORD"), WsmanServer::announceGeneratedPassword);
        DigestAuthenticator digest = new DigestAuthenticator(users, config.nonceLifetimeSeconds() * 1000, 10_000);
        WsmanOperations ops = new WsmanOperations(cimom, new EnumerationContexts(
                config.enumerationIdleSeconds() * 1000, config.maxEnumerationsPerUser()));
        WsmanHttpHandler handler = new WsmanHttpHandler(endpoints, digest, ops, VamtProduct.amtVersion(),
                config.maxRequestBytes());
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
        if (tlsListener != null) {
            tlsListener.close();
        }
        endpoints = null;
    }

    /** The live endpoint map, for tests and shell commands in this bundle. */
    List<MachineEndpoints.Endpoint> endpoints() {
        MachineEndpoints map = endpoints;
        return map == null ? List.of() : map.all();
    }

    private static Path usersFile(Config config) {
        return config.usersFile().isBlank() ? etc().resolve("vamt-users.properties") : Paths.get(config.usersFile());
    }

    private static Path keyFile(Config config) {
        Path users = usersFile(config);
        return users.resolveSibling("vamt-users.key");
    }

    private static Path etc() {
        return Paths.get(System.getProperty("karaf.etc", "etc"));
    }

    /** Printed once, on the console only: a generated password must never reach a log file. */
    private static void announceGeneratedPassword(String password) {
        System.out.println("vAMT: generated the WS-Management password for user 'admin': " + password);
        System.out.println("vAMT: it is shown only this once; change it by setting VAMT_ADMIN_PASSWORD before "
                + "the first start or by editing the users with the vamt shell.");
        LOG.warn("Generated a password for user 'admin' and printed it on the console (not logged)");
    }
}
