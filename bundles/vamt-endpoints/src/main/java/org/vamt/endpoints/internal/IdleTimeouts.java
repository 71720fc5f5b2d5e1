package org.vamt.endpoints.internal;

import javax.servlet.http.HttpServletRequest;
import org.eclipse.jetty.server.Request;

/** The idle timeout of the connection a request came on (Jetty's), changed for one read. */
final class IdleTimeouts {
    private IdleTimeouts() {
    }

    static void set(HttpServletRequest req, long millis) {
        Request base = Request.getBaseRequest(req);
        if (base != null && base.getHttpChannel() != null) {
            base.getHttpChannel().getEndPoint().setIdleTimeout(millis);
        }
    }
}
