package org.vamt.metrics.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /metrics} on the management interface (Karaf's HTTP service): every vAMT meter and the JVM's, in the
 * Prometheus text format. No login, like {@code /health}: see docs/operations.md, "Metrics and health".
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + MetricsServlet.PATH,
        "osgi.http.whiteboard.servlet.name=vamt-metrics"})
public class MetricsServlet extends HttpServlet {
    static final String PATH = "/metrics";
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MetricsServlet.class);

    private final transient PrometheusMetrics metrics;

    @org.osgi.service.component.annotations.Activate
    public MetricsServlet(@Reference PrometheusMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // whole before the status goes out: a gauge that fails is a 500, not a cut-off 200
        ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
        String type;
        try {
            type = metrics.scrape(request.getHeader("Accept"), body);
        } catch (RuntimeException e) {
            LOG.warn("Scrape of /metrics failed", e);
            response.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "The metrics could not be read: see the log.");
            return;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(type);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.size());
        body.writeTo(response.getOutputStream());
    }
}
