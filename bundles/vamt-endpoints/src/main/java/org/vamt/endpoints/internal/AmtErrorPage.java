package org.vamt.endpoints.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.servlet.RequestDispatcher;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * What Jetty answers when a request fails before vAMT's door sees it (CXF refuses an unknown
 * {@code charset}, Jetty a malformed request line): AMT's Server header, a short plain-text
 * reason and no Java class names or stack traces. A request CXF could not read is the client's
 * fault: 400, not 500.
 */
final class AmtErrorPage extends ErrorHandler {
    private final String serverHeader;
    private final ConnectionGuard guard;

    AmtErrorPage(String serverHeader, ConnectionGuard guard) {
        this.serverHeader = serverHeader;
        this.guard = guard;
        setShowStacks(false);
        setShowServlet(false);
    }

    @Override
    public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        baseRequest.setHandled(true);
        // the header clock stops here too; if it ran out first, its 408 is the answer
        if (response.isCommitted() || !guard.requestStarted(request)) {
            return;
        }
        int status = response.getStatus();
        if (status == 500 && request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof IOException) {
            status = 400;
        }
        byte[] body = (status >= 500 ? "Internal error." : "Bad request.").getBytes(StandardCharsets.UTF_8);
        response.reset();
        response.setStatus(status);
        response.setHeader("Server", serverHeader);
        response.setHeader("Connection", "close");
        response.setContentType("text/plain; charset=UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
