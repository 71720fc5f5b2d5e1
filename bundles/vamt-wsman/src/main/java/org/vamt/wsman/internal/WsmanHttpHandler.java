package org.vamt.wsman.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.datatype.DatatypeFactory;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditTrail;
import org.vamt.accounts.UserAccounts;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.wsman.EndpointPathHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of an AMT endpoint: picks the VM by the address the connection arrived at,
 * answers Identify without credentials, demands Digest for everything else (locking a user out
 * after repeated failures), checks the user's AMT realm for the operation, records what users
 * change in the audit log, and frames answers the way AMT clients parse them (Server header on
 * every answer, Connection: close after 401, WS-Management faults with status 400). Extra paths
 * ({@link EndpointPathHandler}) pass the same Digest, lockout and load limits.
 */
final class WsmanHttpHandler {
    /**
     * Looking the factory up costs ~4 µs per request (a service-loader scan); its durations are
     * immutable and newDuration keeps no state, so one instance serves every thread.
     */
    private static final DatatypeFactory DURATIONS = durationFactory();

    private static final Logger LOG = LoggerFactory.getLogger(WsmanHttpHandler.class);
    static final String WSMAN_PATH = "/wsman";
    private static final String SOAP_TYPE = "application/soap+xml; charset=UTF-8";

    private final MachineEndpoints endpoints;
    private final DigestAuthenticator digest;
    private final RequestParser parser = new RequestParser();
    private final WsmanOperations operations;
    private final String serverHeader;
    private final String amtVersion;
    private final int maxRequestBytes;
    private final UserAccounts accounts;
    private final AccessPolicy policy = AccessPolicy.load();
    private final LoginThrottle throttle;
    private final AuditTrail audit;
    private final Limits limits;
    private final Semaphore slots;
    private final ExecutorService workers;
    private final PathHandlers pathHandlers = new PathHandlers();

    /** Security settings of the handler: who may log in, the lockout rule, where audit records go. */
    record Security(UserAccounts accounts, LoginThrottle throttle, AuditTrail audit) {
    }

    /**
     * Load limits: at most {@code maxConcurrent} operations at once (others wait up to
     * {@code queueMillis}, then get 503), each bounded by its OperationTimeout and by
     * {@code maxOperationMillis}.
     */
    record Limits(int maxConcurrent, long queueMillis, long maxOperationMillis) {
        static final Limits DEFAULT = new Limits(64, 2_000, 60_000);
    }

    WsmanHttpHandler(MachineEndpoints endpoints, DigestAuthenticator digest, WsmanOperations operations,
                     String amtVersion, int maxRequestBytes, Security security, Limits limits) {
        this.endpoints = endpoints;
        this.digest = digest;
        this.operations = operations;
        this.accounts = security.accounts();
        this.throttle = security.throttle();
        this.audit = security.audit();
        this.limits = limits;
        this.slots = new Semaphore(limits.maxConcurrent(), true);
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "vamt-wsman-op-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.amtVersion = amtVersion;
        this.serverHeader = "Intel(R) Active Management Technology " + amtVersion;
        this.maxRequestBytes = maxRequestBytes;
    }

    void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Server", serverHeader);
        MachineEndpoints.Endpoint ep = endpoints.route(req.getLocalAddr(), req.getLocalPort(), req.isSecure(),
                req.getHeader("Host")).orElse(null);
        if (ep == null) {
            plain(resp, 404, "No AMT device at this address.");
            return;
        }
        String path = req.getRequestURI();
        if (!"POST".equals(req.getMethod())) {
            // AMT's web UI asks for credentials; MeshCentral's scanner only needs the Server header of this answer.
            challenge(resp, ep, false);
            return;
        }
        EndpointPathHandler extra = null;
        if (!WSMAN_PATH.equals(path)) {
            extra = pathHandlers.forPath(path).orElse(null);
            if (extra == null) {
                plain(resp, 404, "Not found.");
                return;
            }
        }
        byte[] body = readBody(req);
        if (body == null) {
            resp.setHeader("Connection", "close");
            if (extra != null) {
                plain(resp, 413, "The request is larger than " + maxRequestBytes + " bytes.");
                return;
            }
            soap(resp, 400, EnvelopeWriter.fault(null,
                    WsmanFault.encodingLimit("The request is larger than " + maxRequestBytes + " bytes.",
                            "ServiceEnvelopeLimit")));
            return;
        }
        DigestAuthenticator.Outcome outcome = digest.authenticate(req.getHeader("Authorization"), req.getMethod(),
                path, ep.uuid(), ep.realm());
        String remote = req.getRemoteAddr();
        if (outcome instanceof DigestAuthenticator.Accepted a && throttle.isLocked(a.user(), remote,
                System.currentTimeMillis())) {
            outcome = new DigestAuthenticator.Rejected(false, "user " + a.user() + " is locked out after repeated "
                    + "failed logins");
        }
        if (outcome instanceof DigestAuthenticator.Rejected r) {
            // Only Identify is open to everyone; anything else, even unparseable, gets the challenge
            // (curl and others first send an empty body to learn the nonce).
            if (extra == null && isIdentify(body)) {
                soap(resp, 200, EnvelopeWriter.identify(amtVersion));
                return;
            }
            if (req.getHeader("Authorization") != null) {
                LOG.info("VM {}: request for {} from {} refused: {}", ep.name(), path, remote, r.why());
            }
            if (r.badUser() != null) {
                loginFailed(ep, r.badUser(), remote);
            }
            challenge(resp, ep, r.stale());
            return;
        }
        String user = ((DigestAuthenticator.Accepted) outcome).user();
        throttle.succeeded(user, remote);
        if (extra != null) {
            serveExtraPath(extra, req, resp, body, ep, user);
            return;
        }
        WsmanRequest request;
        try {
            request = parser.parse(body);
        } catch (WsmanFault f) {
            soap(resp, 400, EnvelopeWriter.fault(null, f));
            return;
        }
        if (request.isIdentify()) {
            soap(resp, 200, EnvelopeWriter.identify(amtVersion));
            return;
        }
        RequestContext ctx = new RequestContext(ep.uuid(), ep.name(), user, ep.realm());
        try {
            authorize(user, ep, request);
            if (!slots.tryAcquire(limits.queueMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("VM {}: {} concurrent operations already; answering 503", ep.name(), limits.maxConcurrent());
                resp.setHeader("Retry-After", "1");
                soap(resp, 503, EnvelopeWriter.fault(request, WsmanFault.endpointUnavailable(
                        "Too many operations in progress; retry shortly.")));
                return;
            }
            String answer;
            try {
                answer = runBounded(ctx, request);
            } finally {
                slots.release();
            }
            AuditRules.forRequest(request).ifPresent(a -> record(ep, a, user, remote));
            soap(resp, 200, answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            soap(resp, 503, EnvelopeWriter.fault(request, WsmanFault.endpointUnavailable("Shutting down.")));
        } catch (WsmanFault f) {
            LOG.debug("VM {}: {} {} -> fault {}", ep.name(), request.action(), request.resourceUri(), f.subcode());
            soap(resp, 400, EnvelopeWriter.fault(request, f));
        } catch (RuntimeException e) {
            LOG.error("VM {}: {} {} failed", ep.name(), request.action(), request.resourceUri(), e);
            soap(resp, 400, EnvelopeWriter.fault(request, WsmanFault.internalError("Internal error.")));
        }
    }

    /**
     * An authenticated request on an extra path: the handler runs under the same concurrency and
     * run-time limits as WS-Management operations; what it throws becomes a bare 500.
     */
    private void serveExtraPath(EndpointPathHandler extra, HttpServletRequest req, HttpServletResponse resp,
                                byte[] body, MachineEndpoints.Endpoint ep, String user) throws IOException {
        RequestContext ctx = new RequestContext(ep.uuid(), ep.name(), user, ep.realm());
        PathCall call = new PathCall(req, body, ctx, ep);
        try {
            if (!slots.tryAcquire(limits.queueMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("VM {}: {} concurrent operations already; answering 503", ep.name(), limits.maxConcurrent());
                resp.setHeader("Retry-After", "1");
                plain(resp, 503, "Too many operations in progress; retry shortly.");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            plain(resp, 503, "Shutting down.");
            return;
        }
        EndpointPathHandler.Reply reply;
        Future<EndpointPathHandler.Reply> f = null;
        try {
            f = workers.submit(() -> extra.handle(call));
            reply = f.get(limits.maxOperationMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            LOG.warn("VM {}: {} did not finish within {} ms", ep.name(), call.path(), limits.maxOperationMillis());
            reply = new EndpointPathHandler.Reply(503, "text/plain; charset=UTF-8", "The operation did not finish.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply = new EndpointPathHandler.Reply(503, "text/plain; charset=UTF-8", "Shutting down.");
        } catch (ExecutionException | RuntimeException e) {
            LOG.error("VM {}: {} failed", ep.name(), call.path(), e instanceof ExecutionException ? e.getCause() : e);
            reply = new EndpointPathHandler.Reply(500, "text/plain; charset=UTF-8", "Internal error.");
        } finally {
            slots.release();
        }
        if (reply == null) {
            reply = new EndpointPathHandler.Reply(500, "text/plain; charset=UTF-8", "Internal error.");
        }
        write(resp, reply.status(), reply.contentType(), reply.body());
    }

    /** What an extra path's handler sees of its request; headers are copied, it runs on another thread. */
    private final class PathCall implements EndpointPathHandler.Call {
        private final String path;
        private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private final byte[] body;
        private final RequestContext ctx;
        private final MachineEndpoints.Endpoint ep;
        private final String remote;
        private final CimObjectManager cim;

        PathCall(HttpServletRequest req, byte[] body, RequestContext ctx, MachineEndpoints.Endpoint ep) {
            this.path = req.getRequestURI();
            for (Enumeration<String> names = req.getHeaderNames(); names != null && names.hasMoreElements(); ) {
                String n = names.nextElement();
                headers.put(n, req.getHeader(n));
            }
            this.body = body;
            this.ctx = ctx;
            this.ep = ep;
            this.remote = req.getRemoteAddr();
            this.cim = new AuthorizedCim(operations.cimom(), policy, accounts, ctx);
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public RequestContext context() {
            return ctx;
        }

        @Override
        public String remoteAddress() {
            return remote;
        }

        @Override
        public CimObjectManager cim() {
            return cim;
        }

        @Override
        public void audit(int appId, int eventId, byte[] extendedData) {
            record(ep, new AuditRules.Audit(appId, eventId, extendedData == null ? new byte[0] : extendedData.clone()),
                    ctx.user(), remote);
        }
    }

    /** The paths served beside {@code /wsman}; the server adds and removes handlers as they come and go. */
    PathHandlers pathHandlers() {
        return pathHandlers;
    }

    /**
     * Runs the operation within its OperationTimeout (capped by the configured maximum): a client
     * gets wsman:TimedOut instead of waiting on a hung hypervisor. The operation itself may still
     * finish afterwards; its result is then dropped.
     */
    private String runBounded(RequestContext ctx, WsmanRequest request) throws WsmanFault, InterruptedException {
        long timeout = timeoutMillis(request.operationTimeout());
        Future<String> f = workers.submit(() -> operations.handle(ctx, request));
        try {
            return f.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            LOG.warn("VM {}: {} {} did not finish within {} ms", ctx.machineName(), request.action(),
                    request.resourceUri(), timeout);
            throw WsmanFault.timedOut("The operation did not finish within " + timeout + " ms.");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WsmanFault wf) {
                throw wf;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private long timeoutMillis(String operationTimeout) throws WsmanFault {
        if (operationTimeout == null || operationTimeout.isBlank()) {
            return limits.maxOperationMillis();
        }
        try {
            long ms = DURATIONS.newDuration(operationTimeout.trim()).getTimeInMillis(new java.util.Date(0));
            if (ms <= 0) {
                throw WsmanFault.invalidHeader("OperationTimeout must be a positive duration.");
            }
            return Math.min(ms, limits.maxOperationMillis());
        } catch (IllegalArgumentException e) {
            throw WsmanFault.invalidHeader("OperationTimeout is not an xs:duration.");
        }
    }

    private static DatatypeFactory durationFactory() {
        try {
            return DatatypeFactory.newInstance();
        } catch (javax.xml.datatype.DatatypeConfigurationException e) {
            throw new IllegalStateException("the JDK has no XML datatype factory", e);
        }
    }

    /** Stops the operation threads (listener shutdown). */
    void close() {
        workers.shutdownNow();
    }

    private void loginFailed(MachineEndpoints.Endpoint ep, String user, String remote) {
        switch (throttle.failed(user, remote, System.currentTimeMillis())) {
            case COUNTED -> record(ep, AuditRules.INVALID_CREDENTIALS, user, remote);
            case LOCKED_NOW -> {
                LOG.warn("VM {}: user {} from {} locked out after repeated failed logins", ep.name(), user, remote);
                record(ep, AuditRules.INVALID_CREDENTIALS, user, remote);
            }
            case WHILE_LOCKED -> { }
        }
    }

    private void record(MachineEndpoints.Endpoint ep, AuditRules.Audit a, String user, String remote) {
        audit.record(new AuditEvent(ep.uuid(), a.appId(), a.eventId(), user, remote, a.extendedData(), Instant.now()));
    }

    /** The user must hold the AMT realm the operation needs, on this VM (AMT answers AccessDenied). */
    private void authorize(String user, MachineEndpoints.Endpoint ep, WsmanRequest request) throws WsmanFault {
        String action = request.action();
        if (action == null || Ns.ACTION_PULL.equals(action) || Ns.ACTION_RELEASE.equals(action)) {
            return; // a Pull continues an Enumerate that was authorized, and contexts belong to their user
        }
        String className = ResourceUris.className(request.resourceUri()).orElse(null);
        int realm;
        if (className == null) {
            realm = org.vamt.security.AmtRealm.PT_ADMINISTRATION; // e.g. the all-classes URI of association filters
        } else if (Ns.ACTION_GET.equals(action) || Ns.ACTION_ENUMERATE.equals(action)) {
            realm = policy.readRealm(className);
        } else if (Ns.ACTION_PUT.equals(action) || Ns.ACTION_CREATE.equals(action)
                || Ns.ACTION_DELETE.equals(action)) {
            realm = policy.writeRealm(className, null);
        } else {
            realm = policy.writeRealm(className, action.substring(action.lastIndexOf('/') + 1));
        }
        if (realm != AccessPolicy.ANYONE && !accounts.permits(user, ep.uuid(), realm)) {
            LOG.info("VM {}: user {} lacks realm {} for {} {}", ep.name(), user,
                    org.vamt.security.AmtRealm.name(realm), action, request.resourceUri());
            throw WsmanFault.accessDenied("The user does not hold the " + org.vamt.security.AmtRealm.name(realm)
                    + " realm this operation needs.");
        }
    }

    private boolean isIdentify(byte[] body) {
        if (body.length == 0) {
            return false;
        }
        try {
            return parser.parse(body).isIdentify();
        } catch (WsmanFault notEvenXml) {
            return false;
        }
    }

    /**
     * Reads the body (Content-Length or chunked); null when it exceeds the limit. An oversized body
     * is still drained, up to a bound, so that the client, which is still sending, reads our fault
     * instead of a reset connection.
     */
    private byte[] readBody(HttpServletRequest req) throws IOException {
        long declared = req.getContentLengthLong();
        ByteArrayOutputStream out = new ByteArrayOutputStream(
                (int) Math.max(256, Math.min(declared, maxRequestBytes)));
        byte[] buf = new byte[8192];
        long total = 0;
        long drainLimit = 4L * maxRequestBytes;
        try (InputStream in = req.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
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
        resp.setHeader("WWW-Authenticate", digest.challenge(ep.realm(), stale));
        // MeshCommander's browser stack waits for the close before it retries with credentials.
        resp.setHeader("Connection", "close");
        write(resp, 401, "text/html", "<html><head><title>401 Unauthorized</title></head>"
                + "<body><h1>401 Unauthorized</h1><p>Digest authentication is required.</p></body></html>");
    }

    private static void plain(HttpServletResponse resp, int status, String text) throws IOException {
        write(resp, status, "text/plain; charset=UTF-8", text);
    }

    private static void soap(HttpServletResponse resp, int status, String envelope) throws IOException {
        write(resp, status, SOAP_TYPE, envelope);
    }

    private static void write(HttpServletResponse resp, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType(contentType);
        resp.setContentLength(bytes.length);
        try (OutputStream out = resp.getOutputStream()) {
            out.write(bytes);
        }
    }
}
