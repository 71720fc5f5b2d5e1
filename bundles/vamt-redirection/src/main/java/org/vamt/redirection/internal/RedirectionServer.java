package org.vamt.redirection.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
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
import org.vamt.security.SecurityService;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.metrics.Metrics;
import org.vamt.provider.redirection.RedirectionSessions;
import org.vamt.provider.redirection.RedirectionSessions.Kind;
import org.vamt.provider.redirection.UserConsentCodes;
import org.vamt.tls.TlsIdentity;
import org.vamt.endpoints.Endpoints;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.endpoints.Endpoints.Endpoint;

/**
 * The AMT redirection listener (TCP 16994, and 16995 with TLS). Like the WS-Management listener it
 * serves every VM on one socket and tells them apart by the local address a connection arrived at
 * (the VM's endpoint address from {@link Endpoints}). A connection to an address that is no
 * VM's endpoint, or to a VM whose AMT_RedirectionService.ListenerEnabled is false, is closed at
 * once, as if the port were closed. Each session runs on a thread of a bounded pool. Registered as
 * {@link RedirectionSessions}, so the redirection providers can see and end sessions.
 */
@Component(immediate = true, configurationPid = RedirectionServer.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = {RedirectionSessions.class, TunnelDoor.class},
        property = {"vamt.tunnel.ports:Integer=16994", "vamt.tunnel.ports:Integer=16995"})
@Designate(ocd = RedirectionServer.Config.class)
public class RedirectionServer implements RedirectionSessions, TunnelDoor {
    static final String PID = "org.vamt.redirection";
    private static final Logger LOG = LoggerFactory.getLogger(RedirectionServer.class);

    @ObjectClassDefinition(name = "vAMT redirection", description = "AMT redirection protocol: serial-over-LAN, IDE-R and KVM")
    public @interface Config {
        @AttributeDefinition(description = "Local address to listen on; VMs are told apart by the address a "
                + "connection arrives at, so this is normally the wildcard")
        String bindAddress() default "0.0.0.0";

        @AttributeDefinition(description = "Redirection port (AMT: 16994); 0 = no plain listener")
        int port() default 16994;

        @AttributeDefinition(description = "Redirection port over TLS (AMT: 16995); 0 = no TLS listener")
        int tlsPort() default 16995;

        @AttributeDefinition(description = "Accept user and password in clear (authentication type 1), which "
                + "Debian's amtterm 1.4 needs; Digest is always accepted")
        boolean allowPlainAuth() default false;

        @AttributeDefinition(description = "Connections one VM may have at once, authenticated or not")
        int maxSessionsPerVm() default 4;

        @AttributeDefinition(description = "Connections all VMs may have at once")
        int maxSessions() default 64;

        @AttributeDefinition(description = "Seconds a client has for the session start and authentication")
        int authTimeoutSeconds() default 30;

        @AttributeDefinition(description = "Seconds a SOL session may stay silent before it is closed; AMT "
                + "consoles send heartbeats or echo the server's. 0 = never")
        int idleTimeoutSeconds() default 300;

        @AttributeDefinition(description = "IDE-R: seconds the console has to answer one read of the VM; a console "
                + "that does not is disconnected and the read fails (the guest sees an I/O error, never a hang)")
        int iderCommandTimeoutSeconds() default 10;

        @AttributeDefinition(description = "IDE-R: bytes asked of the console per read (read-ahead window), in KiB")
        int iderReadAheadKiB() default 128;

        @AttributeDefinition(description = "IDE-R: loopback TCP port of the NBD server QEMU reads the media from; "
                + "0 = any free port")
        int iderNbdPort() default 0;
    }

    private final Hypervisor hypervisor;
    private final Endpoints endpoints;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timers;
    private final Session.Context context;
    /** Where QEMU reads the media of IDE-R sessions: opened with the first IDE-R medium, so no port is open before. */
    private NbdServer nbd;   // guarded by this
    private final int nbdPort;
    private boolean deactivated;   // guarded by this
    private final ServerSocket plain;
    private final ServerSocket tls;
    /** The identity of the TLS port, also presented inside tunnelled 16995 channels; null: no TLS. */
    private final TlsIdentity tlsIdentity;
    /** Connections being served, closed on deactivation (a blocked read ignores thread interrupts). */
    private final java.util.Set<Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The accept threads: a closed listening socket is only released once its accept() returned. */
    private final java.util.List<Thread> acceptors = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Optional: without the redirection provider, KVM sessions that need consent are refused. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile UserConsentCodes consentCodes;

    /** Open connections and sessions as gauges while a metrics service is there. */
    private final java.util.List<Metrics.Registration> gauges = new java.util.ArrayList<>();   // guarded by itself
    private Metrics metrics;   // guarded by gauges

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMetrics")
    void bindMetrics(Metrics metrics) {
        synchronized (gauges) {
            closeGauges();
            this.metrics = metrics;
            gauges.add(metrics.gauge("vamt.redirection.connections", "Open redirection connections (16994/16995), "
                    + "logged in or not", () -> open.size()));
            for (Kind kind : Kind.values()) {
                gauges.add(metrics.gauge("vamt.redirection.sessions", "Logged-in redirection sessions by kind",
                        () -> context.slots().taken(kind), "kind", kind.name()));
            }
        }
    }

    void unbindMetrics(Metrics metrics) {
        synchronized (gauges) {
            if (this.metrics == metrics) {
                closeGauges();
            }
        }
    }

    private void closeGauges() {
        gauges.forEach(Metrics.Registration::close);
        gauges.clear();
        metrics = null;
    }

    @Activate
    public RedirectionServer(@Reference Hypervisor hypervisor, @Reference SecurityService security,
                             @Reference Endpoints endpoints, Config config,
                             @Reference(cardinality = ReferenceCardinality.OPTIONAL,
                                     policyOption = ReferencePolicyOption.GREEDY) TlsIdentity tlsIdentity)
            throws IOException {
        this.hypervisor = hypervisor;
        this.endpoints = endpoints;
        this.tlsIdentity = tlsIdentity;
        check(config.port() >= 0 && config.port() <= 65535, "port must be 0-65535");
        check(config.tlsPort() >= 0 && config.tlsPort() <= 65535, "tlsPort must be 0-65535");
        check(config.tlsPort() == 0 || config.tlsPort() != config.port(), "tlsPort must differ from port");
        check(config.maxSessionsPerVm() >= 1, "maxSessionsPerVm must be at least 1");
        check(config.maxSessions() >= 1, "maxSessions must be at least 1");
        check(config.authTimeoutSeconds() >= 1, "authTimeoutSeconds must be at least 1");
        check(config.idleTimeoutSeconds() >= 0, "idleTimeoutSeconds must not be negative");
        check(config.iderCommandTimeoutSeconds() >= 1, "iderCommandTimeoutSeconds must be at least 1");
        check(config.iderReadAheadKiB() >= 2 && config.iderReadAheadKiB() <= 16384,
                "iderReadAheadKiB must be 2-16384");
        check(config.iderNbdPort() >= 0 && config.iderNbdPort() <= 65535, "iderNbdPort must be 0-65535");
        AtomicInteger threads = new AtomicInteger();
        // SOL sessions use a second thread for the console pump, KVM for the display side: twice the sessions
        this.pool = new ThreadPoolExecutor(0, config.maxSessions(), 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "vamt-redirection-" + threads.incrementAndGet()));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vamt-redirection-timer"));
        this.nbdPort = config.iderNbdPort();
        this.context = new Session.Context(hypervisor, security, new SessionSlots(config.maxSessionsPerVm()), timers,
                config.allowPlainAuth(), config.authTimeoutSeconds() * 1000, config.idleTimeoutSeconds() * 1000,
                new Session.Ider(this::nbd, config.iderCommandTimeoutSeconds() * 1000L, config.iderReadAheadKiB() * 1024),
                new Session.KvmConsent() {
                    @Override
                    public boolean begin(String uuid) {
                        UserConsentCodes c = consentCodes;
                        return c != null && c.beginConsentedSession(uuid);
                    }

                    @Override
                    public void end(String uuid) {
                        UserConsentCodes c = consentCodes;
                        if (c != null) {
                            c.endConsentedSession(uuid);
                        }
                    }
                });
        InetAddress bind = InetAddress.getByName(config.bindAddress());
        ServerSocket p = null;
        ServerSocket t = null;
        try {
            if (config.port() != 0) {
                p = new ServerSocket();
                p.setReuseAddress(true);
                p.bind(new InetSocketAddress(bind, config.port()), 50);
                accept(p, "plain");
            }
            if (config.tlsPort() != 0) {
                if (tlsIdentity == null) {
                    LOG.warn("No TLS identity service (bundle vamt-tls): redirection over TLS on {} is off",
                            config.tlsPort());
                } else {
                    SSLServerSocket s = (SSLServerSocket) tlsIdentity.sslContext().getServerSocketFactory()
                            .createServerSocket();
                    s.setSSLParameters(tlsIdentity.serverParameters());
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(bind, config.tlsPort()), 50);
                    t = s;
                    accept(t, "TLS");
                }
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(p);
            closeQuietly(t);
            pool.shutdownNow();
            timers.shutdownNow();
            throw e;
        }
        this.plain = p;
        this.tls = t;
        LOG.info("AMT redirection listening on {} port {}{} (plain user/password authentication {})",
                config.bindAddress(), config.port(), t == null ? "" : " and TLS port " + config.tlsPort(),
                config.allowPlainAuth() ? "ALLOWED" : "off");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void accept(ServerSocket server, String kind) {
        Thread t = daemon(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    dispatch(s);
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        LOG.warn("Redirection {} listener: accept failed: {}", kind, e.getMessage());
                    }
                }
            }
        }, "vamt-redirection-accept-" + kind);
        acceptors.add(t);
        t.start();
    }

    private void dispatch(Socket s) {
        String local = s.getLocalAddress().getHostAddress();
        List<Endpoint> atAddress = endpoints.endpoints().stream().filter(e -> e.address().equals(local)).toList();
        if (atAddress.size() != 1) {
            // With the port or host endpoint strategies VMs share an address, and nothing in the
            // redirection protocol names the VM: never guess, so no console reaches another VM.
            LOG.info("Redirection connection to {} closed: {}", local, atAddress.isEmpty()
                    ? "no VM's endpoint" : "several VMs share that address (redirection needs strategy=address)");
            closeQuietly(s);
            return;
        }
        dispatch(s, atAddress.get(0));
    }

    /**
     * A redirection connection through a tunnel (a CIRA channel to 16994) to VM {@code vmUuid}: the
     * same checks and session code as a connection to the listener, the VM named by the tunnel.
     */
    @Override
    public java.util.Optional<TunnelDoor.Stream> open(String vmUuid, int port, InetSocketAddress peer, Sink toPeer) {
        TlsIdentity identity = tlsIdentity;
        if (port != 16994 && !(port == 16995 && identity != null)) {
            return java.util.Optional.empty();
        }
        java.util.Optional<Endpoint> e = endpoints.endpoint(vmUuid);
        if (e.isEmpty()) {
            return java.util.Optional.empty();
        }
        ChannelSocket s = new ChannelSocket(peer, toPeer);
        TunnelDoor.Stream stream = s.stream();
        Socket served = s;
        if (port == 16995) {
            // TLS inside the channel, server side, with the TLS port's identity and parameters; the
            // handshake runs on the session's thread at its first read, as on the TLS listener
            try {
                SSLSocket t = (SSLSocket) identity.sslContext().getSocketFactory()
                        .createSocket(s, peer.getHostString(), peer.getPort(), true);
                t.setUseClientMode(false);
                t.setSSLParameters(identity.serverParameters());
                served = t;
            } catch (IOException ex) {
                LOG.info("Redirection over TLS through a tunnel to VM '{}' refused: {}", e.get().name(),
                        ex.getMessage());
                return java.util.Optional.empty();
            }
        }
        dispatch(served, e.get());   // a refusal closes it, as the listener closes a refused connection
        return java.util.Optional.of(stream);
    }

    private void dispatch(Socket s, Endpoint e) {
        try {
            if (!VmPolicy.read(hypervisor, e.uuid()).listenerEnabled()) {
                LOG.info("Redirection connection from {} to VM '{}' closed: its redirection listener is disabled "
                        + "(AMT_RedirectionService.ListenerEnabled)", s.getInetAddress().getHostAddress(), e.name());
                closeQuietly(s);
                return;
            }
        } catch (HypervisorException ex) {
            LOG.info("Redirection connection to VM '{}' closed: {}", e.name(), ex.getMessage());
            closeQuietly(s);
            return;
        }
        if (!context.slots().connect(e.uuid(), s)) {
            LOG.warn("Redirection connection from {} to VM '{}' closed: it already has the most sessions allowed, "
                    + "all logged in",
                    s.getInetAddress().getHostAddress(), e.name());
            closeQuietly(s);
            return;
        }
        try {
            Session session = new Session(s, e, context);
            open.add(s);
            pool.execute(() -> {
                try {
                    session.run();
                } finally {
                    open.remove(s);
                }
            });
        } catch (RejectedExecutionException ex) {
            open.remove(s);
            context.slots().disconnect(e.uuid(), s);
            LOG.warn("Redirection connection to VM '{}' closed: all {} session threads busy", e.name(),
                    pool.getMaximumPoolSize());
            closeQuietly(s);
        }
    }

    /** The NBD server, opened on first use (loopback, {@code iderNbdPort}). */
    private synchronized NbdServer nbd() throws IOException {
        if (deactivated) {
            throw new IOException("the redirection listener is stopping");
        }
        if (nbd == null) {
            nbd = new NbdServer(nbdPort);
            LOG.info("IDE-R media are served to QEMU over NBD on {}", nbd.address());
        }
        return nbd;
    }

    @Override
    public boolean isOpen(String machineId, Kind kind) {
        return context.slots().isTaken(machineId, kind);
    }

    @Override
    public boolean terminate(String machineId, Kind kind) {
        boolean ended = context.slots().terminate(machineId, kind);
        if (ended) {
            LOG.info("Redirection: {} session of VM {} terminated on request", kind, machineId);
        }
        return ended;
    }

    @Deactivate
    void deactivate() {
        synchronized (gauges) {
            closeGauges();
        }
        closeQuietly(plain);
        closeQuietly(tls);
        for (Thread t : acceptors) {
            try {
                t.join(2000);   // so a new configuration can bind the same port at once
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        open.forEach(RedirectionServer::closeQuietly);
        synchronized (this) {
            deactivated = true;
            closeQuietly(nbd);
        }
        pool.shutdownNow();
        timers.shutdownNow();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
