package org.vamt.wsman;

import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;

/**
 * Serves another HTTP path on every VM endpoint, behind the same door as {@code /wsman}: the
 * WS-Management listener picks the VM by address, demands HTTP Digest with the VM's realm, locks
 * out repeated failures, records failed logins, bounds concurrency and run time, and only then
 * calls the handler. Register an implementation as an OSGi service with the property
 * {@value #PATH} naming one or more absolute paths (e.g. {@code /RemoteControlService});
 * {@code /wsman} itself cannot be taken. Used by protocols older than WS-Management that AMT also
 * spoke, such as the SOAP interface of AMT 1 to 8.
 */
public interface EndpointPathHandler {
    /** Service property: the path(s) the handler serves, each starting with {@code /}. */
    String PATH = "vamt.http.path";

    /**
     * Answers one authenticated POST. Expected errors (bad input, missing realm) are answered by
     * the handler itself in its own protocol; an exception becomes a bare HTTP 500.
     */
    Reply handle(Call call);

    /** One authenticated request and what the handler may use to answer it. */
    interface Call {
        /** The request path, one of the handler's {@value #PATH} values. */
        String path();

        /** A request header, or null. */
        String header(String name);

        /** The request body (already bounded by the listener's maxRequestBytes). */
        byte[] body();

        /** The VM and the authenticated user. */
        RequestContext context();

        /** The client's IP address. */
        String remoteAddress();

        /**
         * The CIMOM as this user may use it: every operation needs the AMT realm the same
         * WS-Management operation needs on this VM and otherwise fails with ACCESS_DENIED, so a
         * protocol mapped onto CIM classes inherits their access rules. Only {@link #context()} is
         * accepted as the request context.
         */
        CimObjectManager cim();

        /**
         * Records a successful change in the VM's audit log, as AMT does (AuditAppID, EventID,
         * extended data); nothing happens when no audit log is installed.
         */
        void audit(int appId, int eventId, byte[] extendedData);
    }

    /**
     * The answer.
     *
     * @param status      HTTP status
     * @param contentType Content-Type header
     * @param body        the body, sent as UTF-8
     */
    record Reply(int status, String contentType, String body) {
    }
}
