package org.vamt.endpoints;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.vamt.cim.spi.RequestContext;

/**
 * A protocol served on every VM endpoint at one or more HTTP paths: WS-Management at
 * {@code /wsman}, AMT 1-8's SOAP services, tomorrow the web UI. Register an implementation as an
 * OSGi service with the property {@value #PATH}. A handler answers POST; one that lists more
 * {@link #methods()} (the web UI's pages) also gets those, through the same door. Transports (the HTTP listeners, later CIRA
 * tunnels) pick the VM, bound the body, demand HTTP Digest through the security service (lockout
 * and failed-login audit included) and bound concurrency; the handler only speaks its protocol.
 * Realm checks are the CIMOM's: a handler passes {@link Call#context()} to it and gets
 * ACCESS_DENIED where the user lacks the realm.
 */
public interface EndpointPathHandler {
    /** Service property: the path(s) the handler serves, each starting with {@code /}. */
    String PATH = "vamt.http.path";

    /** Content type of plain-text answers. */
    String TEXT = "text/plain; charset=UTF-8";

    /**
     * The HTTP methods the handler answers at its paths. Other methods get the Digest challenge,
     * as every path did before (MeshCentral's scanner reads AMT's Server header from that 401).
     * Only POST reaches {@link #unauthenticated}: any other request without valid credentials is
     * challenged.
     */
    default Set<String> methods() {
        return Set.of("POST");
    }

    /**
     * Answers one authenticated request (POST, or another of {@link #methods()}). Expected errors are answered by the handler in its own
     * protocol; an exception becomes a bare HTTP 500. Work that may block (the CIMOM, the
     * hypervisor) runs through {@link Call#bounded}, so a hung hypervisor cannot hold the request.
     */
    Reply handle(Call call);

    /**
     * A POST without valid credentials: an answer anyone may have (WS-Management's Identify), or
     * empty to send the Digest challenge. {@link Call#context()} is null here.
     */
    default Optional<Reply> unauthenticated(Call call) {
        return Optional.empty();
    }

    /** The answer when every operation slot is taken (HTTP 503; the transport adds Retry-After). */
    default Reply busy() {
        return new Reply(503, TEXT, "Too many operations in progress; retry shortly.");
    }

    /** The answer to a body larger than the transport accepts. */
    default Reply tooLarge(int maxBytes) {
        return new Reply(413, TEXT, "The request is larger than " + maxBytes + " bytes.");
    }

    /** One request and what the handler may use to answer it. */
    interface Call {
        /** The request path, one of the handler's {@value #PATH} values. */
        String path();

        /** The HTTP method, one of the handler's {@link EndpointPathHandler#methods()}. */
        default String method() {
            return "POST";
        }

        /** The query string (without {@code ?}), or null. */
        default String query() {
            return null;
        }

        /** Whether the request came over TLS (16993), for the scheme of a same-origin check. */
        default boolean secure() {
            return false;
        }

        /** A request header, or null. */
        String header(String name);

        /** The request body (already bounded by the transport). */
        byte[] body();

        /** The VM and the authenticated user; null in {@link #unauthenticated}. */
        RequestContext context();

        /** The client's IP address. */
        String remoteAddress();

        /**
         * Records a successful change in the VM's audit log, as AMT does (AuditAppID, EventID,
         * extended data).
         */
        void audit(int appId, int eventId, byte[] extendedData);

        /**
         * Whether the change that {@link #audit} would record as {@code appId}/{@code eventId} may be
         * made now: false when the VM's audit policy marks that event critical and its record cannot
         * be written (log locked, or full under its storage policy). AMT then refuses to execute the
         * operation (PT_STATUS_AUDIT_FAIL, 2075); a handler asks before it runs the change. A transport
         * without an audit trail answers true.
         */
        default boolean auditAllows(int appId, int eventId) {
            return true;
        }

        /**
         * Runs {@code work} on this thread under an {@link org.vamt.hypervisor.OperationDeadline} of
         * {@code timeoutMillis} (capped by the configured maximum): a hypervisor call that does not
         * answer by then gives up, and {@link TimeoutException} is thrown whatever the work made of
         * that failure. The exception of the work comes as {@link ExecutionException}.
         */
        <T> T bounded(Callable<T> work, long timeoutMillis)
                throws TimeoutException, ExecutionException, InterruptedException;

        /** The longest an operation may run (configured), in milliseconds. */
        long maxOperationMillis();
    }

    /**
     * The answer.
     *
     * @param status      HTTP status
     * @param contentType Content-Type header
     * @param body        the body, sent as UTF-8
     * @param headers     further response headers (a page's Location, Cache-Control, security
     *                    policy); the transport's own (Server, Content-Length, Connection) are not
     *                    the handler's to set and are ignored here
     */
    record Reply(int status, String contentType, String body, Map<String, String> headers) {
        public Reply {
            headers = Map.copyOf(headers);
        }

        public Reply(int status, String contentType, String body) {
            this(status, contentType, body, Map.of());
        }
    }
}
