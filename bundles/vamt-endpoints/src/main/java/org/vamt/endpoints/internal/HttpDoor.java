package org.vamt.endpoints.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.hypervisor.OperationDeadline;
import org.vamt.security.AuditEvent;
import org.vamt.security.Login;
import org.vamt.security.SecurityService;

/**
 * What every HTTP request to a VM endpoint passes before a protocol handler sees it: the VM is
 * picked by where the connection arrived, the path names the handler, the body is bounded,
 * Digest is checked by the security service (AMT's 401 framing: Connection: close, the realm of
 * the VM), concurrency is bounded (HTTP 503 beyond), and the Server header AMT clients look for
 * is on every answer. Every wait is bounded by a total deadline: request headers (the
 * {@link ConnectionGuard}, which also caps connections without an authenticated request), bodies
 * (2 s without credentials, {@code bodyMillis} with), operations ({@code maxOperationMillis}). An
 * operation runs on the request's own thread (no hand-off per request) under an
 * {@link OperationDeadline}: what may block without end, a hypervisor call, waits only until it
 * and keeps its own bounded threads when it hangs (vamt-libvirt's {@code maxCallThreads}). Limits
 * change in place ({@link #limits(Limits)}).
 */
final class HttpDoor {
    private static final Logger LOG = LoggerFactory.getLogger(HttpDoor.class);
    private static final int MAX_SLOTS = 1 << 20;
    /** The largest body read without credentials: AMT's open request, Identify, is a few hundred bytes. */
    static final int MAX_OPEN_BODY = 4096;
    /** How long a client without credentials may take to send that body, in all. */
    static final int OPEN_BODY_MILLIS = 2_000;
    /** Bodies read without credentials at once, in all; more get the challenge unread. */
    static final int UNAUTHENTICATED_READERS = 16;
    /** Stands for a body over the limit (compared by identity). */
    private static final byte[] TOO_LARGE = new byte[0];
    private final Semaphore unauthenticatedReaders = new Semaphore(UNAUTHENTICATED_READERS);

    private volatile MachineEndpoints endpoints;
    private final SecurityService security;
    private final PathHandlers pathHandlers;
    private final String serverHeader;
    private volatile Limits limits;
    /** Sized to the largest maxConcurrent ever configured; the unused permits are held back. */
    private final Semaphore slots = new Semaphore(0, true);
    private int grantedSlots;
    private final ConnectionGuard guard;
    /** A hung hypervisor times out every request: one warning a second, not one per request. */
    private final TimeoutWarnings timeoutWarnings = new TimeoutWarnings();
    private volatile int listenerThreads = 200;

    /**
     * @param maxRequestBytes    largest body accepted
     * @param maxConcurrent      operations at once; others wait up to {@code queueMillis}, then get 503
     * @param maxOperationMillis cap of {@link EndpointPathHandler.Call#bounded}
     * @param bodyMillis         total time an authenticated client has to send its body
     */
    record Limits(int maxRequestBytes, int maxConcurrent, long queueMillis, long maxOperationMillis,
                  long bodyMillis) {
        Limits {
            if (maxRequestBytes < 1 || maxConcurrent < 1 || maxConcurrent > MAX_SLOTS || maxOperationMillis < 1
                    || bodyMillis < 1) {
                throw new IllegalArgumentException("maxRequestBytes, maxConcurrentOperations, maxOperationSeconds "
                        + "and requestBodySeconds must be positive");
            }
        }

        /** With the configuration's default body deadline (30 s). */
        Limits(int maxRequestBytes, int maxConcurrent, long queueMillis, long maxOperationMillis) {
            this(maxRequestBytes, maxConcurrent, queueMillis, maxOperationMillis, 30_000);
        }
    }

    HttpDoor(MachineEndpoints endpoints, SecurityService security, PathHandlers pathHandlers, String amtVersion,
             Limits limits) {
        this(endpoints, security, pathHandlers, amtVersion, limits, new ConnectionGuard.Limits(10_000, 32, 256));
    }

    HttpDoor(MachineEndpoints endpoints, SecurityService security, PathHandlers pathHandlers, String amtVersion,
             Limits limits, ConnectionGuard.Limits connectionLimits) {
        this.endpoints = endpoints;
        this.security = security;
        this.pathHandlers = pathHandlers;
        this.serverHeader = "Intel(R) Active Management Technology " + amtVersion;
        this.guard = new ConnectionGuard(serverHeader, connectionLimits);
        limits(limits);
    }

    /** Jetty's threads per listener (CXF's engine gives each listener its own pool). */
    int listenerThreads() {
        return listenerThreads;
    }

    void listenerThreads(int max) {
        if (max < 16) {
            throw new IllegalArgumentException("maxHttpThreads must be at least 16, got " + max);
        }
        listenerThreads = max;
    }

    /** The connection limits every listener of this door applies (a bean on each Jetty connector). */
    ConnectionGuard guard() {
        return guard;
    }

    /** New connection limits, for the next connection and request. */
    void connectionLimits(ConnectionGuard.Limits next) {
        guard.limits(next);
    }

    /** The Server header every answer carries, AMT's. */
    String serverHeader() {
        return serverHeader;
    }

    /** The endpoint map after a change of layout (strategy, first address…). */
    void endpoints(MachineEndpoints next) {
        this.endpoints = next;
    }

    /** Longest a request that came before the map's first fill waits for it. */
    static final long FIRST_FILL_WAIT_SECONDS = 30;
    /** Open until the map is first filled (see {@link #routeAfter}); null: nothing to wait for. */
    private volatile java.util.concurrent.CountDownLatch firstFill;

    /**
     * Requests wait (at most {@value #FIRST_FILL_WAIT_SECONDS} s) until {@code filled} is open: the
     * listeners open before the map is first filled from the hypervisor, off the activation thread,
     * and a request in between must not be told that no AMT device is there.
     */
    void routeAfter(java.util.concurrent.CountDownLatch filled) {
        this.firstFill = filled;
    }

    /** Waits for the map's first fill if it is still to come; true when it came (or nothing is awaited). */
    static boolean awaitFill(java.util.concurrent.CountDownLatch filled) {
        if (filled == null || filled.getCount() == 0) {
            return true;
        }
        try {
            return filled.await(FIRST_FILL_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** New limits; operations in progress keep their slots. */
    synchronized void limits(Limits next) {
        int diff = next.maxConcurrent() - grantedSlots;
        if (diff > 0) {
            slots.release(diff);
        } else if (diff < 0) {
            // taken back as they free up, on a thread of its own so a reconfiguration never waits
            Thread t = new Thread(() -> slots.acquireUninterruptibly(-diff), "vamt-endpoint-slots");
            t.setDaemon(true);
            t.start();
        }
        grantedSlots = next.maxConcurrent();
        this.limits = next;
    }

    void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!guard.requestStarted(req)) {
            // its header deadline passed as the headers completed: the 408 went out, nothing more may
            org.eclipse.jetty.server.Request base = org.eclipse.jetty.server.Request.getBaseRequest(req);
            if (base != null && base.getHttpChannel() != null) {
                base.getHttpChannel().abort(new java.util.concurrent.TimeoutException("request header deadline"));
            }
            return;
        }
        try {
            serve(req, resp);
        } finally {
            guard.requestEnded(req);
        }
    }

    private void serve(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Server", serverHeader);
        // a tunnelled stream names its VM; a listener's connection is routed by where it arrived
        String tunnelled = TunnelServer.vmOf(req);
        awaitFill(firstFill);
        MachineEndpoints.Endpoint ep = (tunnelled != null ? endpoints.byUuid(tunnelled)
                : endpoints.route(req.getLocalAddr(), req.getLocalPort(), req.isSecure(), req.getHeader("Host")))
                .orElse(null);
        if (ep == null) {
            plain(resp, 404, "No AMT device at this address.");
            return;
        }
        if (!knownCharset(req.getCharacterEncoding())) {
            // refused before anything reads the body, as CXF's destination did when it stood in front of us
            plain(resp, 400, "Unsupported charset.");
            return;
        }
        String path = req.getRequestURI();
        boolean post = "POST".equals(req.getMethod());
        EndpointPathHandler handler = pathHandlers.forPath(path).orElse(null);
        if (!post && (handler == null || !handler.methods().contains(req.getMethod()))) {
            // AMT's web UI asks for credentials; MeshCentral's scanner only needs the Server header of this answer.
            challenge(resp, ep, false);
            return;
        }
        if (handler == null) {
            plain(resp, 404, "Not found.");
            return;
        }
        Limits l = limits;
        String remote = req.getRemoteAddr();
        String authorization = req.getHeader("Authorization");
        // Digest is decided from the headers: a client without credentials gets no thread held by its body
        Login login = security.authenticateHttp(authorization, req.getMethod(), path, ep.uuid(), ep.realm(), remote);
        if (login instanceof Login.Rejected r) {
            // Only what the handler gives everyone (Identify, a few hundred bytes) goes without credentials;
            // anything else gets the challenge (curl and others first send an empty body to learn the nonce).
            Optional<EndpointPathHandler.Reply> open = post ? answerForAnyone(req, resp, handler, ep, l)
                    : Optional.empty();
            if (open == null) {
                return;   // the body could not be read; answered
            }
            if (open.isPresent()) {
                write(resp, open.get());
                return;
            }
            if (authorization != null) {
                LOG.info("VM {}: request for {} from {} refused: {}", ep.name(), path, remote, r.why());
            }
            challenge(resp, ep, r.stale());
            return;
        }
        guard.authenticated(req);
        byte[] body = body(req, resp, ep, l.maxRequestBytes(), l.bodyMillis());
        if (body == null) {
            return;
        }
        if (body == TOO_LARGE) {
            resp.setHeader("Connection", "close");
            write(resp, handler.tooLarge(l.maxRequestBytes()));
            return;
        }
        String user = ((Login.Accepted) login).user();
        RequestContext ctx = new RequestContext(ep.uuid(), ep.name(), user, ep.realm());
        try {
            if (!slots.tryAcquire(l.queueMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("VM {}: {} concurrent operations already; answering 503", ep.name(), l.maxConcurrent());
                write(resp, handler.busy());   // write() adds Retry-After to every 503
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            plain(resp, 503, "Shutting down.");
            return;
        }
        EndpointPathHandler.Reply reply;
        Call call = new Call(req, body, ctx, ep, l);
        try {
            reply = handler.handle(call);
        } catch (RuntimeException e) {
            LOG.error("VM {}: {} failed", ep.name(), path, e);
            reply = null;
        } finally {
            slots.release();
        }
        write(resp, reply == null ? new EndpointPathHandler.Reply(500, EndpointPathHandler.TEXT, "Internal error.")
                : reply);
    }

    /**
     * The body of a request without valid credentials, if it is small enough to be an open request
     * (Identify) and an unauthenticated read slot is free, read under a short idle timeout; the
     * handler's answer for anyone, or empty (challenge), or null when the body was unreadable and
     * a 400 went out. Larger or chunked bodies, or a full set of unauthenticated readers, get the
     * challenge unread: clients that drip bodies without credentials cannot hold the door's threads.
     */
    private Optional<EndpointPathHandler.Reply> answerForAnyone(HttpServletRequest req, HttpServletResponse resp,
            EndpointPathHandler handler, MachineEndpoints.Endpoint ep, Limits l) throws IOException {
        long declared = req.getContentLengthLong();
        if (declared <= 0 || declared > MAX_OPEN_BODY) {
            if (declared != 0) {
                resp.setHeader("Connection", "close");   // the body stays unread
            }
            return Optional.empty();
        }
        if (!unauthenticatedReaders.tryAcquire()) {
            resp.setHeader("Connection", "close");
            return Optional.empty();
        }
        byte[] body;
        try {
            body = body(req, resp, ep, MAX_OPEN_BODY, OPEN_BODY_MILLIS);
        } finally {
            unauthenticatedReaders.release();
        }
        if (body == null) {
            return null;
        }
        return handler.unauthenticated(new Call(req, body, null, ep, l));
    }

    /**
     * The body, at most {@code max} bytes ({@link #TOO_LARGE} beyond), read within {@code millis} in
     * all; null when it could not be read (a malformed chunked body, a client that stopped sending
     * or sent too slowly) and a 400 went out — never a 200.
     */
    private byte[] body(HttpServletRequest req, HttpServletResponse resp, MachineEndpoints.Endpoint ep, int max,
                        long millis) throws IOException {
        try {
            byte[] b = readBody(req, max, System.nanoTime() + millis * 1_000_000);
            return b == null ? TOO_LARGE : b;
        } catch (IOException | RuntimeException unreadable) {
            LOG.debug("VM {}: unreadable request body from {}: {}", ep.name(), req.getRemoteAddr(),
                    unreadable.toString());
            resp.setHeader("Connection", "close");
            plain(resp, 400, "The request body could not be read.");
            return null;
        }
    }

    /** Warns of operations that timed out, at most once a second, with the count of those not told. */
    private static final class TimeoutWarnings {
        private long nextWarningNanos = System.nanoTime();
        private int untold;

        synchronized void warn(String vm, String path, long timeoutMillis, String why) {
            long now = System.nanoTime();
            if (now - nextWarningNanos < 0) {
                untold++;
                return;
            }
            LOG.warn("VM {}: {} did not finish within {} ms: {}{}", vm, path, timeoutMillis, why,
                    untold == 0 ? "" : " (and " + untold + " more operations timed out in the last second)");
            untold = 0;
            nextWarningNanos = now + 1_000_000_000L;
        }
    }

    /** What a handler sees of its request. */
    private final class Call implements EndpointPathHandler.Call {
        private final String path;
        private final HttpServletRequest req;
        private final byte[] body;
        private final RequestContext ctx;
        private final MachineEndpoints.Endpoint ep;
        private final Limits limits;

        Call(HttpServletRequest req, byte[] body, RequestContext ctx, MachineEndpoints.Endpoint ep, Limits limits) {
            this.path = req.getRequestURI();
            this.req = req;
            this.body = body;
            this.ctx = ctx;
            this.ep = ep;
            this.limits = limits;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String method() {
            return req.getMethod();
        }

        @Override
        public String query() {
            return req.getQueryString();
        }

        @Override
        public boolean secure() {
            return req.isSecure();
        }

        @Override
        public String header(String name) {
            return req.getHeader(name);
        }

        @Override
        public byte[] body() {
            return body;
        }

        @Override
        public RequestContext context() {
            return ctx;
        }

        @Override
        public String remoteAddress() {
            return req.getRemoteAddr();
        }

        @Override
        public void audit(int appId, int eventId, byte[] extendedData) {
            if (ctx == null) {
                throw new IllegalStateException("only an authenticated request is audited");
            }
            security.audit(new AuditEvent(ep.uuid(), appId, eventId, ctx.user(), req.getRemoteAddr(),
                    extendedData == null ? new byte[0] : extendedData.clone(), Instant.now()));
        }

        @Override
        public boolean auditAllows(int appId, int eventId) {
            if (ctx == null) {
                throw new IllegalStateException("only an authenticated request is audited");
            }
            return security.auditAllows(ep.uuid(), appId, eventId);
        }

        @Override
        public <T> T bounded(Callable<T> work, long timeoutMillis)
                throws TimeoutException, ExecutionException, InterruptedException {
            long timeout = Math.min(timeoutMillis, limits.maxOperationMillis());
            OperationDeadline.Outcome<T> outcome = OperationDeadline.run(timeout, work);
            if (outcome.expired()) {
                timeoutWarnings.warn(ep.name(), path, timeout, outcome.expiredBecause());
                throw new TimeoutException(outcome.expiredBecause());
            }
            if (outcome.failure() instanceof InterruptedException e) {
                throw e;
            }
            if (outcome.failure() != null) {
                throw new ExecutionException(outcome.failure());
            }
            return outcome.result();
        }

        @Override
        public long maxOperationMillis() {
            return limits.maxOperationMillis();
        }
    }

    /** Stops the connection deadlines (transport shutdown). */
    void close() {
        guard.close();
    }

    /**
     * Reads the body (Content-Length or chunked) before {@code deadlineNanos} ({@link System#nanoTime}):
     * each read may wait only what is left, so a client dripping its body cannot stretch it; null
     * when it exceeds the limit. An oversized body is still drained, up to a bound, so that the
     * client, which is still sending, reads our answer instead of a reset connection.
     */
    private static byte[] readBody(HttpServletRequest req, int maxRequestBytes, long deadlineNanos)
            throws IOException {
        try {
            return readBodyBefore(req, maxRequestBytes, deadlineNanos);
        } finally {
            IdleTimeouts.set(req, CxfHttpListener.IDLE_TIMEOUT_MS);   // the answer has its usual time
        }
    }

    private static byte[] readBodyBefore(HttpServletRequest req, int maxRequestBytes, long deadlineNanos)
            throws IOException {
        long declared = req.getContentLengthLong();
        ByteArrayOutputStream out = new ByteArrayOutputStream(
                (int) Math.max(256, Math.min(declared, maxRequestBytes)));
        byte[] buf = new byte[8192];
        long total = 0;
        long drainLimit = 4L * maxRequestBytes;
        try (InputStream in = req.getInputStream()) {
            while (true) {
                long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new InterruptedIOException("the body was not received in time");
                }
                IdleTimeouts.set(req, Math.min(left, CxfHttpListener.IDLE_TIMEOUT_MS));
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                total += n;
                if (total <= maxRequestBytes) {
                    out.write(buf, 0, n);
                } else if (total > drainLimit) {
                    break;
                }
            }
        }
        return total > maxRequestBytes ? null : out.toByteArray();
    }

    private void challenge(HttpServletResponse resp, MachineEndpoints.Endpoint ep, boolean stale) throws IOException {
        resp.setHeader("WWW-Authenticate", security.challenge(ep.realm(), stale));
        // MeshCommander's browser stack waits for the close before it retries with credentials.
        resp.setHeader("Connection", "close");
        write(resp, new EndpointPathHandler.Reply(401, "text/html", "<html><head><title>401 Unauthorized</title>"
                + "</head><body><h1>401 Unauthorized</h1><p>Digest authentication is required.</p></body></html>"));
    }

    /** Whether the charset a Content-Type names (null: none) is one Java can decode. */
    static boolean knownCharset(String charset) {
        if (charset == null) {
            return true;
        }
        String name = charset.replace("\"", "").replace("'", "").trim();
        try {
            return name.isEmpty() || Charset.isSupported(name);
        } catch (IllegalCharsetNameException e) {
            return false;
        }
    }

    private static void plain(HttpServletResponse resp, int status, String text) throws IOException {
        write(resp, new EndpointPathHandler.Reply(status, EndpointPathHandler.TEXT, text));
    }

    private static void write(HttpServletResponse resp, EndpointPathHandler.Reply reply) throws IOException {
        byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
        resp.setStatus(reply.status());
        if (reply.status() == 503 && resp.getHeader("Retry-After") == null) {
            resp.setHeader("Retry-After", "1");   // busy or starting: a client may come back at once
        }
        reply.headers().forEach((name, value) -> {
            if (!TRANSPORT_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                resp.setHeader(name, value);
            }
        });
        resp.setContentType(reply.contentType());
        // Through a CIRA tunnel answers are chunked: Intel DMT's MPS sees an answer's end only at the
        // last chunk (or </html>) and reads no Content-Length body (research notes §3.2). Answers that
        // close the connection (the 401 ends with </html>) keep their length.
        boolean chunked = tunnelled(resp) && !"close".equalsIgnoreCase(resp.getHeader("Connection"));
        if (!chunked) {
            resp.setContentLength(bytes.length);
        }
        try (OutputStream out = resp.getOutputStream()) {
            out.write(bytes);
            if (chunked) {
                out.flush();   // committed before its length is known: HTTP/1.1 chunked
            }
        }
    }

    /** Headers the door sets itself and a handler may not override. */
    private static final java.util.Set<String> TRANSPORT_HEADERS = java.util.Set.of("server", "content-length",
            "content-type", "connection", "transfer-encoding", "www-authenticate", "retry-after");

    private static boolean tunnelled(HttpServletResponse resp) {
        return resp instanceof org.eclipse.jetty.server.Response r && r.getHttpChannel() != null
                && TunnelServer.tunnelOf(r.getHttpChannel().getEndPoint()) != null;
    }
}
