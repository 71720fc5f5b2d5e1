package org.vamt.endpoints.internal;

import java.io.IOException;
import java.util.List;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.configuration.jsse.TLSServerParameters;
import org.apache.cxf.configuration.security.ClientAuthentication;
import org.apache.cxf.configuration.security.FiltersType;
import org.apache.cxf.service.model.EndpointInfo;
import org.apache.cxf.transport.Destination;
import org.apache.cxf.transport.DestinationFactory;
import org.apache.cxf.transport.DestinationFactoryManager;
import org.apache.cxf.transport.http.AbstractHTTPDestination;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngine;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngineFactory;
import org.apache.cxf.transport.http_jetty.ThreadingParameters;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.tls.TlsIdentity;

/**
 * One HTTP listener on CXF's Jetty transport, handing every request on every path to a
 * {@link WsmanHttpHandler}. It owns a private CXF Bus so that stopping it really frees the port
 * (a destination on the shared default bus keeps Jetty bound after a bundle refresh).
 */
final class CxfHttpListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CxfHttpListener.class);
    /** Longest silence on a connection, mid-request or between keep-alive requests. */
    static final int IDLE_TIMEOUT_MS = 30_000;

    private final Bus bus;
    private final Destination destination;
    private final JettyHTTPServerEngine engine;
    private final String bindAddress;
    private final int port;

    CxfHttpListener(String bindAddress, int port, HttpDoor handler) {
        this(bindAddress, port, handler, null);
    }

    /** A listener speaking TLS with {@code tls}'s identity, protocols and suites (the 16993 port). */
    static CxfHttpListener https(String bindAddress, int port, HttpDoor handler, TlsIdentity tls) {
        return new CxfHttpListener(bindAddress, port, handler, tls);
    }

    private CxfHttpListener(String bindAddress, int port, HttpDoor handler, TlsIdentity tls) {
        this.bindAddress = bindAddress;
        this.port = port;
        this.bus = BusFactory.newInstance().createBus();
        String scheme = tls == null ? "http" : "https";
        JettyHTTPServerEngine created = null;
        Destination opened = null;
        try {
            JettyHTTPServerEngineFactory engines = new OwnPortEngines(bus);
            if (tls != null) {
                engines.setTLSServerParametersForPort(bindAddress, port, tlsParameters(tls));
            }
            created = engines.createJettyHTTPServerEngine(bindAddress, port, scheme);
            engine = created;
            // Our own Server header names the AMT version; Jetty must not add its own.
            engine.setSendServerVersion(false);
            // Jetty's threads are bounded (its queue holds at most one task per connection, and
            // connections are bounded by the door's ConnectionGuard and the idle timeout).
            ThreadingParameters threads = new ThreadingParameters();
            threads.setMaxThreads(handler.listenerThreads());
            threads.setMinThreads(Math.min(8, handler.listenerThreads()));
            threads.setThreadNamePrefix("vamt-http-" + port);
            engine.setThreadingParameters(threads);
            // A client that stalls mid-request holds a Jetty thread only this long (slow-request floods).
            engine.setMaxIdleTime(IDLE_TIMEOUT_MS);
            String address = scheme + "://" + bindAddress + ":" + port + "/";
            DestinationFactory factory = bus.getExtension(DestinationFactoryManager.class)
                    .getDestinationFactoryForUri(address);
            EndpointInfo info = new EndpointInfo();
            info.setAddress(address);
            opened = factory.getDestination(info, bus);
            destination = opened;
            destination.setMessageObserver(message -> {
                HttpServletRequest req = (HttpServletRequest) message.get(AbstractHTTPDestination.HTTP_REQUEST);
                HttpServletResponse resp = (HttpServletResponse) message.get(AbstractHTTPDestination.HTTP_RESPONSE);
                try {
                    handler.handle(req, resp);
                } catch (IOException e) {
                    LOG.debug("Client {} went away: {}", req.getRemoteAddr(), e.toString());
                }
            });
            engine.getServer().setErrorHandler(new AmtErrorPage(handler.serverHeader(), handler.guard()));
            // Jetty hands every connection it opens on this connector to the guard: header
            // deadline, caps on connections without an authenticated request.
            ((ContainerLifeCycle) engine.getConnector()).addBean(handler.guard());
        } catch (Exception e) {
            if (opened != null) {
                opened.shutdown();
            }
            if (created != null) {
                created.shutdown();   // frees the port unless another listener serves on it
            }
            bus.shutdown(true);
            throw new IllegalStateException("cannot listen on " + bindAddress + ":" + port + ": " + e, e);
        }
        LOG.info("WS-Management listening on {}:{} ({})", bindAddress, port, scheme);
    }

    /**
     * Exactly the identity's protocols and suites. Jetty has its own default exclusions (among
     * them every TLS_RSA_* suite MeshCentral needs for TLS 1.2); CXF replaces them only when an
     * exclude filter is set, so we set one that names only what we never want anyway.
     */
    static TLSServerParameters tlsParameters(TlsIdentity tls) {
        TLSServerParameters p = new TLSServerParameters();
        p.setSecureSocketProtocol("TLS");
        p.setKeyManagers(tls.keyManagers());
        p.setIncludeProtocols(tls.protocols());
        p.setExcludeProtocols(List.of("SSLv2Hello", "SSLv3", "TLSv1", "TLSv1.1"));
        p.setCipherSuites(tls.cipherSuites());
        FiltersType filter = new FiltersType();
        // CXF hands Jetty as exclusions every supported suite that no include pattern matches.
        filter.getInclude().add(".*");
        filter.getExclude().addAll(List.of(".*_NULL_.*", ".*_anon_.*", ".*_CBC_.*", ".*_RC4_.*", ".*_3DES_.*",
                "^SSL_.*"));
        p.setCipherSuitesFilter(filter);
        // Consoles reach a VM by its address or any DNS name for it; the certificate names
        // neither, and Jetty would answer 400 to a TLS client whose SNI the certificate lacks.
        p.setSniHostCheck(false);
        ClientAuthentication noClientCertificates = new ClientAuthentication();
        noClientCertificates.setWant(false);
        noClientCertificates.setRequired(false);
        p.setClientAuthentication(noClientCertificates);
        return p;
    }

    /**
     * CXF's engine factory keeps the Jetty engines of all buses in one static map and, when a bus
     * shuts down, tries to shut down every engine in it: closing one listener logged "Failed to
     * shutdown Jetty server on port (another listener's) because it is still in use". Each listener
     * shuts down its own port's engine, so its bus's factory leaves the others alone.
     */
    private static final class OwnPortEngines extends JettyHTTPServerEngineFactory {
        OwnPortEngines(Bus bus) {
            super(bus);   // registers itself as the bus's engine factory, which its destinations use
        }

        @Override
        public void postShutdown() {
            // the listener closed its own engine; the others are other listeners'
        }
    }

    /** A new bound on Jetty's threads, in place. */
    void threads(int max) {
        if (engine.getServer().getThreadPool() instanceof QueuedThreadPool pool && pool.getMaxThreads() != max) {
            pool.setMinThreads(Math.min(pool.getMinThreads(), max));
            pool.setMaxThreads(max);
        }
    }

    @Override
    public void close() {
        destination.shutdown();
        // The engine factory keeps engines per port across buses and counts our own creation as a
        // second user, so the destination's shutdown alone leaves Jetty bound with the old handler.
        JettyHTTPServerEngineFactory.destroyForPort(port);
        bus.shutdown(true);
        LOG.info("WS-Management listener on {}:{} stopped", bindAddress, port);
    }
}
