package org.vamt.endpoints.internal;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.servlet.http.HttpServletRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a connection may hold before it has authenticated, across every listener of the door.
 * Added to each Jetty connector as a {@link Connection.Listener} bean (Jetty hands it every HTTP
 * connection it opens, plain or inside TLS):
 * <ul>
 * <li>a <b>header deadline</b>, total: from the connection's opening (TLS handshake included), or
 * from the end of its previous request, until the door sees the next request's headers complete.
 * Past it the connection gets {@code 408} with AMT's Server header and is closed, however slowly
 * the client keeps dripping bytes;</li>
 * <li>caps on connections that have not yet carried an authenticated request: per source address
 * (a newcomer beyond it is closed at once) and in all (the oldest connection of the source holding
 * the most is closed to make room, so a newcomer from a quiet address always gets in).</li>
 * </ul>
 * A connection that carried an authenticated request leaves both caps (it is bounded by the idle
 * timeout and the door's concurrency limit) but keeps the header deadline between its requests.
 */
final class ConnectionGuard implements Connection.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    /**
     * @param headerMillis total time for a request's headers
     * @param perSource    connections without an authenticated request, from one address
     * @param total        such connections in all
     */
    record Limits(long headerMillis, int perSource, int total) {
        Limits {
            if (headerMillis < 1 || perSource < 1 || total < 1) {
                throw new IllegalArgumentException("requestHeaderSeconds, maxUnauthenticatedConnectionsPerSource and "
                        + "maxUnauthenticatedConnections must be positive");
            }
        }
    }

    private enum Phase { AWAITING_HEADERS, IN_REQUEST, EXPIRED }

    /** One HTTP connection. Phase changes are made under the connection's own lock. */
    private final class Conn {
        final EndPoint endPoint;
        final String source;
        final long opened = System.nanoTime();
        Phase phase = Phase.AWAITING_HEADERS;
        ScheduledFuture<?> deadline;
        /** Guarded by the guard's lock: counted against the caps until its first authenticated request. */
        boolean counted;

        Conn(EndPoint endPoint, String source) {
            this.endPoint = endPoint;
            this.source = source;
        }

        synchronized void awaitHeaders(long millis) {
            if (phase == Phase.EXPIRED) {
                return;
            }
            phase = Phase.AWAITING_HEADERS;
            cancel();
            deadline = timer.schedule(this::expire, millis, TimeUnit.MILLISECONDS);
        }

        /** False when the header deadline passed first (the 408 is on its way). */
        synchronized boolean startRequest() {
            if (phase == Phase.EXPIRED) {
                return false;
            }
            phase = Phase.IN_REQUEST;
            cancel();
            return true;
        }

        synchronized void cancel() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        private void expire() {
            synchronized (this) {
                if (phase != Phase.AWAITING_HEADERS) {
                    return;
                }
                phase = Phase.EXPIRED;
                deadline = null;
            }
            headerTimeouts.incrementAndGet();
            LOG.debug("Connection from {}: request headers not complete within {} ms; closed", source,
                    limits.headerMillis());
            try {
                endPoint.write(new Callback() {
                    @Override
                    public void succeeded() {
                        close(endPoint);
                    }

                    @Override
                    public void failed(Throwable x) {
                        close(endPoint);
                    }
                }, ByteBuffer.wrap(timeoutAnswer));
            } catch (RuntimeException writePending) {
                close(endPoint);
            }
        }
    }

    private final ScheduledThreadPoolExecutor timer;
    private final byte[] timeoutAnswer;
    private final Map<EndPoint, Conn> connections = new ConcurrentHashMap<>();
    /** Connections counted against the caps, oldest first per source; guarded by {@code this}. */
    private final Map<String, ArrayDeque<Conn>> unauthenticated = new HashMap<>();
    private int unauthenticatedCount;
    private volatile Limits limits;
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger evicted = new AtomicInteger();
    private final AtomicInteger headerTimeouts = new AtomicInteger();

    ConnectionGuard(String serverHeader, Limits limits) {
        this.limits = limits;
        String body = "The request headers were not received in time.";
        this.timeoutAnswer = ("HTTP/1.1 408 Request Timeout\r\nServer: " + serverHeader + "\r\nConnection: close\r\n"
                + "Content-Type: text/plain; charset=UTF-8\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.ISO_8859_1);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "vamt-endpoint-deadlines");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    /** New limits: the caps apply to the next connection, the header deadline to the next request. */
    void limits(Limits next) {
        this.limits = next;
    }

    @Override
    public void onOpened(Connection connection) {
        if (!(connection instanceof HttpConnection)) {
            return;   // the TLS layer; its HTTP connection, opened with it, is the one tracked
        }
        EndPoint endPoint = connection.getEndPoint();
        InetSocketAddress remote = endPoint.getRemoteAddress();
        String source = remote == null || remote.getAddress() == null ? "?" : remote.getAddress().getHostAddress();
        TunnelServer.TunnelEndPoint tunnelled = TunnelServer.tunnelOf(endPoint);
        if (tunnelled != null) {
            // every VM's channels come from the one MPS: each VM is a source of its own
            source += " for VM " + tunnelled.vm;
        }
        Conn conn = new Conn(endPoint, source);
        if (connections.putIfAbsent(endPoint, conn) != null) {
            return;   // told twice (the listener may be registered with the connector and its factory)
        }
        Limits l = limits;
        Conn victim = null;
        boolean refuse;
        synchronized (this) {
            ArrayDeque<Conn> same = unauthenticated.computeIfAbsent(source, s -> new ArrayDeque<>());
            refuse = same.size() >= l.perSource();
            if (refuse) {
                if (same.isEmpty()) {
                    unauthenticated.remove(source);
                }
            } else {
                if (unauthenticatedCount >= l.total()) {
                    victim = evictOne();
                }
                same.addLast(conn);
                conn.counted = true;
                unauthenticatedCount++;
            }
        }
        if (refuse) {
            refused.incrementAndGet();
            LOG.debug("Connection from {} ({}) closed: {} unauthenticated connections from there already", source, remote,
                    l.perSource());
            timer.execute(() -> close(endPoint));   // not from inside Jetty's opening of it
            return;
        }
        if (victim != null) {
            evicted.incrementAndGet();
            LOG.debug("Connection from {} evicted: {} unauthenticated connections in all", victim.source, l.total());
            victim.cancel();
            Conn v = victim;
            timer.execute(() -> close(v.endPoint));
        }
        conn.awaitHeaders(l.headerMillis());
    }

    /** The oldest connection of the source holding the most; removed from the count. Under the lock. */
    private Conn evictOne() {
        ArrayDeque<Conn> from = null;
        for (ArrayDeque<Conn> q : unauthenticated.values()) {
            if (q.isEmpty()) {
                continue;
            }
            if (from == null || q.size() > from.size()
                    || (q.size() == from.size() && q.peekFirst().opened - from.peekFirst().opened < 0)) {
                from = q;
            }
        }
        if (from == null) {
            return null;
        }
        Conn victim = from.pollFirst();
        uncount(victim);
        return victim;
    }

    /** Drops a counted connection from the caps. Under the lock. */
    private void uncount(Conn c) {
        if (!c.counted) {
            return;
        }
        c.counted = false;
        unauthenticatedCount--;
        ArrayDeque<Conn> q = unauthenticated.get(c.source);
        if (q != null) {
            q.remove(c);
            if (q.isEmpty()) {
                unauthenticated.remove(c.source);
            }
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (!(connection instanceof HttpConnection)) {
            return;
        }
        Conn c = connections.remove(connection.getEndPoint());
        if (c != null) {
            c.cancel();
            synchronized (this) {
                uncount(c);
            }
        }
    }

    /**
     * The door has a request's headers: the header clock stops. False when its deadline passed
     * first; the request is then abandoned (the 408 is already on its way).
     */
    boolean requestStarted(HttpServletRequest req) {
        Conn c = conn(req);
        return c == null || c.startRequest();
    }

    /** The request carried valid credentials: its connection leaves the caps. */
    void authenticated(HttpServletRequest req) {
        Conn c = conn(req);
        if (c != null) {
            synchronized (this) {
                uncount(c);
            }
        }
    }

    /** The answer went out: the header clock of the next request on this connection starts. */
    void requestEnded(HttpServletRequest req) {
        Conn c = conn(req);
        if (c != null && c.endPoint.isOpen()) {
            c.awaitHeaders(limits.headerMillis());
        }
    }

    private Conn conn(HttpServletRequest req) {
        EndPoint ep = endPoint(req);
        return ep == null ? null : connections.get(ep);
    }

    static EndPoint endPoint(HttpServletRequest req) {
        Request base = Request.getBaseRequest(req);
        return base == null || base.getHttpChannel() == null ? null : base.getHttpChannel().getEndPoint();
    }

    /** Connections now counted against the caps. */
    synchronized int unauthenticatedConnections() {
        return unauthenticatedCount;
    }

    /** Counters since start: newcomers refused (per source), connections evicted, header deadlines passed. */
    String counters() {
        return "refused " + refused.get() + ", evicted " + evicted.get() + ", header timeouts " + headerTimeouts.get();
    }

    /**
     * Closes a connection from outside Jetty's threads. FIN first: on Jetty 9.4 the close of a
     * channel registered with a selector takes effect only at that selector's next pass, which an
     * idle listener may not make for a while.
     */
    private static void close(EndPoint endPoint) {
        try {
            endPoint.shutdownOutput();
            endPoint.close();
        } catch (RuntimeException e) {
            LOG.trace("closing a connection: {}", e.toString());
        }
    }

    void close() {
        timer.shutdownNow();
    }
}
