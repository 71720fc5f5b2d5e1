package org.vamt.endpoints.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.AbstractHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.tls.TlsIdentity;

/**
 * The HTTP stack of tunnelled streams ({@link TunnelDoor}): a Jetty server with no socket, whose
 * connector is fed connections by the tunnel (a CIRA channel's bytes in, Jetty's output back to
 * the channel) and whose handler is the same {@link HttpDoor} the listeners use. Jetty parses the
 * HTTP (Content-Length or chunked, persistent connections) exactly as on a listener; the
 * {@link ConnectionGuard} counts these connections like any other, by their peer (the MPS); the
 * door routes a tunnelled request by the VM its endpoint names ({@link #vmOf}). The connector and
 * endpoint use only Jetty API that is the same in 9.4 (Karaf) and 10 (the build).
 */
final class TunnelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelServer.class);

    private final Server server;
    private final HttpConfiguration http;
    private final TunnelConnector connector;
    /** TLS inside the stream (16993) with the identity it was made for; replaced when the identity is. */
    private TunnelConnector tlsConnector;
    private TlsIdentity tlsIdentity;

    TunnelServer(HttpDoor door) {
        QueuedThreadPool threads = new QueuedThreadPool(door.listenerThreads(), Math.min(4, door.listenerThreads()));
        threads.setName("vamt-tunnel-http");
        threads.setDaemon(true);
        server = new Server(threads);
        http = new HttpConfiguration();
        http.setSendServerVersion(false);   // the door's Server header names the AMT version
        http.setSendXPoweredBy(false);
        connector = connector(door, new HttpConnectionFactory(http));
        this.door = door;
        server.setHandler(new AbstractHandler() {
            @Override
            public void handle(String target, Request base, HttpServletRequest req, HttpServletResponse resp)
                    throws IOException {
                base.setHandled(true);
                door.handle(req, resp);
            }
        });
        server.setErrorHandler(new AmtErrorPage(door.serverHeader(), door.guard()));
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP stack of tunnels: " + e, e);
        }
    }

    private final HttpDoor door;

    private TunnelConnector connector(HttpDoor door, ConnectionFactory... factories) {
        TunnelConnector c = new TunnelConnector(server, factories);
        c.setIdleTimeout(CxfHttpListener.IDLE_TIMEOUT_MS);
        c.addBean(door.guard());
        server.addConnector(c);
        return c;
    }

    /**
     * A new connection of VM {@code vm} on AMT {@code port} from {@code peer}, fed by the caller:
     * 16992 plain, 16993 with a TLS handshake inside the stream ({@code tls}'s certificate,
     * protocols and suites, as on the VM's 16993 listener); empty for other ports or without TLS.
     */
    Optional<TunnelDoor.Stream> open(String vm, int port, InetSocketAddress peer, TunnelDoor.Sink sink,
                                     TlsIdentity tls) {
        if (port == TunnelDoor.HTTP_PORT) {
            return Optional.of(connector.connect(vm, port, peer, sink).stream());
        }
        if (port == TunnelDoor.TLS_PORT && tls != null) {
            return Optional.of(tlsConnector(tls).connect(vm, port, peer, sink).stream());
        }
        return Optional.empty();
    }

    private synchronized TunnelConnector tlsConnector(TlsIdentity tls) {
        if (tlsConnector != null && tlsIdentity == tls) {
            return tlsConnector;
        }
        if (tlsConnector != null) {
            try {
                tlsConnector.stop();   // its sessions end, as a TLS listener's do when the identity changes
            } catch (Exception e) {
                LOG.debug("Stopping the TLS connector of tunnels: {}", e.toString());
            }
            server.removeConnector(tlsConnector);
        }
        try {
            SslContextFactory.Server scf = new SslContextFactory.Server();
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(tls.keyManagers(), null, null);
            scf.setSslContext(ctx);
            scf.setIncludeProtocols(tls.protocols().toArray(String[]::new));
            scf.setExcludeProtocols("SSLv2Hello", "SSLv3", "TLSv1", "TLSv1.1");
            scf.setIncludeCipherSuites(tls.cipherSuites().toArray(String[]::new));
            // Jetty's own exclusions drop the TLS_RSA_* suites MeshCentral needs (as CxfHttpListener says)
            scf.setExcludeCipherSuites(".*_NULL_.*", ".*_anon_.*", ".*_RC4_.*", ".*_3DES_.*", "^SSL_.*");
            // Consoles reach a VM by any name; the certificate names none of them (as on the TLS listener)
            HttpConfiguration https = new HttpConfiguration(http);
            org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            https.addCustomizer(secure);
            TunnelConnector c = connector(door, sslFactory(scf), new HttpConnectionFactory(https));
            c.start();
            tlsConnector = c;
            tlsIdentity = tls;
            return c;
        } catch (Exception e) {
            throw new IllegalStateException("cannot serve TLS in tunnels: " + e, e);
        }
    }

    /**
     * Jetty's TLS connection factory; its constructor takes an SslContextFactory in 9.4 and an
     * SslContextFactory.Server in 10, so it is found by what it accepts rather than linked.
     */
    private static ConnectionFactory sslFactory(SslContextFactory.Server scf) throws ReflectiveOperationException {
        for (java.lang.reflect.Constructor<?> k : SslConnectionFactory.class.getConstructors()) {
            Class<?>[] p = k.getParameterTypes();
            if (p.length == 2 && p[1] == String.class && p[0].isInstance(scf)) {
                return (ConnectionFactory) k.newInstance(scf, "http/1.1");
            }
        }
        throw new NoSuchMethodException("SslConnectionFactory(SslContextFactory, String)");
    }

    /** The VM a request came through a tunnel for, or null for a request of a listener. */
    static String vmOf(HttpServletRequest req) {
        TunnelEndPoint t = tunnelOf(ConnectionGuard.endPoint(req));
        return t == null ? null : t.vm;
    }

    /** The tunnel under {@code e} (TLS inside a tunnel included), or null. */
    static TunnelEndPoint tunnelOf(EndPoint e) {
        if (e instanceof SslConnection.DecryptedEndPoint d) {
            e = d.getSslConnection().getEndPoint();
        }
        return e instanceof TunnelEndPoint t ? t : null;
    }

    /** Tunnelled connections open now. */
    synchronized int connections() {
        return connector.getConnectedEndPoints().size()
                + (tlsConnector == null ? 0 : tlsConnector.getConnectedEndPoints().size());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("Stopping the HTTP stack of tunnels: {}", e.toString());
        }
    }

    /** Connections come from {@link #connect}, never from an acceptor. */
    private static final class TunnelConnector extends AbstractConnector {
        TunnelConnector(Server server, ConnectionFactory... factories) {
            super(server, null, null, null, 0, factories);
        }

        TunnelEndPoint connect(String vm, int port, InetSocketAddress peer, TunnelDoor.Sink sink) {
            TunnelEndPoint endPoint = new TunnelEndPoint(getScheduler(), getIdleTimeout(), vm, port, peer, sink,
                    getExecutor(), this);
            Connection connection = getDefaultConnectionFactory().newConnection(this, endPoint);
            endPoint.setConnection(connection);
            endPoint.onOpen();
            onEndPointOpened(endPoint);
            connection.onOpen();
            return endPoint;
        }

        void closed(EndPoint endPoint) {
            onEndPointClosed(endPoint);
        }

        @Override
        protected void accept(int acceptorID) {
            throw new UnsupportedOperationException("tunnel connections are not accepted from a socket");
        }

        @Override
        public Object getTransport() {
            return null;
        }
    }

    /**
     * One tunnelled connection: input queued by {@link #received} and read by Jetty on the
     * connector's threads (never on the tunnel's own thread), output handed to the sink as Jetty
     * writes it, the sink told once when Jetty closes or half-closes the connection.
     */
    static final class TunnelEndPoint extends ByteArrayEndPoint {
        final String vm;
        private final InetSocketAddress local;
        private final InetSocketAddress peer;
        private final TunnelDoor.Sink sink;
        private final Executor executor;
        private final TunnelConnector connector;
        private final AtomicBoolean told = new AtomicBoolean();
        private final AtomicBoolean unregistered = new AtomicBoolean();

        TunnelEndPoint(Scheduler scheduler, long idleMillis, String vm, int port, InetSocketAddress peer,
                       TunnelDoor.Sink sink, Executor executor, TunnelConnector connector) {
            super(scheduler, idleMillis);
            this.vm = vm;
            this.local = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            this.peer = peer;
            this.sink = sink;
            this.executor = executor;
            this.connector = connector;
            setGrowOutput(true);
        }

        /** The caller's handle. */
        TunnelDoor.Stream stream() {
            return new TunnelDoor.Stream() {
                @Override
                public void received(ByteBuffer bytes) {
                    receive(bytes);
                }

                @Override
                public void close() {
                    end();
                }
            };
        }

        void receive(ByteBuffer bytes) {
            if (!bytes.hasRemaining() || !isOpen() || isInputShutdown()) {
                return;
            }
            ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
            copy.put(bytes).flip();
            try {
                addInputAndExecute(copy);
            } catch (RuntimeException closedMeanwhile) {
                LOG.debug("Tunnel stream of VM {}: input after the end: {}", vm, closedMeanwhile.toString());
            }
        }

        void end() {
            if (isOpen()) {
                try {
                    addInputEOF();
                } catch (RuntimeException ignored) {
                    // already at its end
                }
                close();
            }
        }

        @Override
        public boolean flush(ByteBuffer... buffers) throws IOException {
            if (!isOpen() || isOutputShutdown()) {
                throw new IOException("tunnel stream closed");
            }
            for (ByteBuffer b : buffers) {
                if (b != null && b.hasRemaining()) {
                    sink.send(b);
                    b.position(b.limit());
                }
            }
            notIdle();
            return true;
        }

        @Override
        protected void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public void doShutdownOutput() {
            super.doShutdownOutput();
            tell();
        }

        @Override
        public void doClose() {
            super.doClose();
            tell();
            if (unregistered.compareAndSet(false, true)) {
                connector.closed(this);
                // No selector manages this endpoint, so nothing else tells its connection (and the
                // connection's listeners: the ConnectionGuard) that it closed (as Jetty's own
                // LocalConnector endpoints do). Without it the guard kept every tunnelled
                // connection for ever, counted against its VM's unauthenticated connections.
                Connection c = getConnection();
                if (c != null) {
                    onClose(c);
                }
            }
        }

        /**
         * Connection.onClose: {@code onClose()} in Jetty 9.4 (Karaf), {@code onClose(Throwable)} in
         * 10 (the build), so called by what the running Jetty has.
         */
        private void onClose(Connection c) {
            for (java.lang.reflect.Method m : Connection.class.getMethods()) {
                if (m.getName().equals("onClose") && m.getParameterCount() <= 1) {
                    try {
                        m.invoke(c, m.getParameterCount() == 0 ? new Object[0] : new Object[] {null});
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        LOG.debug("Tunnel stream of VM {}: closing its connection: {}", vm, e.toString());
                    }
                    return;
                }
            }
        }

        private void tell() {
            if (told.compareAndSet(false, true)) {
                try {
                    sink.closed();
                } catch (RuntimeException e) {
                    LOG.debug("Tunnel stream of VM {}: {}", vm, e.toString());
                }
            }
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return local;
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return peer;
        }

        // Jetty 10's names of the same (9.4 has only the two above)
        @Override
        public SocketAddress getLocalSocketAddress() {
            return local;
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return peer;
        }
    }
}
