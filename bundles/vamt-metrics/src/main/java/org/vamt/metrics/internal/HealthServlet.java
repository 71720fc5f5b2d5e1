package org.vamt.metrics.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vamt.cim.spi.ProviderBundles;
import org.vamt.hypervisor.Hypervisor;

/**
 * {@code GET /health} on the management interface: 200 and {@code "status":"UP"} when Karaf has installed and
 * started its boot features ({@code started}), the hypervisor answers ({@code hypervisor}: {@link Hypervisor#reachability()}, no call
 * made) and every provider bundle that is to run is ACTIVE ({@code providers}, the test WS-Management's start gate
 * uses); 503 and {@code "DOWN"} otherwise, with each check's status and what failed. Cheap enough to ask every
 * second: no hypervisor call, one pass over the bundles.
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + HealthServlet.PATH,
        "osgi.http.whiteboard.servlet.name=vamt-health"})
public class HealthServlet extends HttpServlet {
    static final String PATH = "/health";
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient BundleContext context;

    /** The one hypervisor this installation serves (libvirt, or a gateway's nodes); none is a failed check. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Hypervisor hypervisor;

    @Activate
    public HealthServlet(BundleContext context) {
        this.context = context;
    }

    /** One check: UP or DOWN, and why when DOWN. */
    record Check(String status, String detail) {
        static Check up() {
            return new Check("UP", null);
        }

        static Check down(String detail) {
            return new Check("DOWN", detail);
        }

        boolean isUp() {
            return "UP".equals(status);
        }
    }

    Map<String, Check> checks() {
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("started", started());
        Hypervisor h = hypervisor;
        checks.put("hypervisor", h == null ? Check.down("no hypervisor service")
                : h.reachability() == Hypervisor.Reachability.REACHABLE ? Check.up()
                : Check.down(h.reachability().name()));
        List<String> notActive = ProviderBundles.notActive(context);
        checks.put("providers", notActive.isEmpty() ? Check.up() : Check.down("not active: " + notActive));
        return checks;
    }

    /**
     * Karaf's features service registers BootFinished once the boot features (vAMT among them) are installed and
     * started; the framework reaches its start level earlier, while they still install. Asked by name: no import
     * of Karaf's API, and outside Karaf (no features service) the check is left out.
     */
    private Check started() {
        if (context.getServiceReference(BOOT_FINISHED) != null) {
            return Check.up();
        }
        boolean karaf = context.getServiceReference("org.apache.karaf.features.FeaturesService") != null;
        return karaf ? Check.down("boot features still installing") : Check.up();
    }

    private static final String BOOT_FINISHED = "org.apache.karaf.features.BootFinished";

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Check> checks = checks();
        boolean up = checks.values().stream().allMatch(Check::isUp);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        Map<String, Object> each = new LinkedHashMap<>();
        checks.forEach((name, c) -> {
            Map<String, String> check = new LinkedHashMap<>();   // status first, always: easy to read and to grep
            check.put("status", c.status());
            if (c.detail() != null) {
                check.put("detail", c.detail());
            }
            each.put(name, check);
        });
        body.put("checks", each);
        byte[] json = JSON.writeValueAsBytes(body);
        response.setStatus(up ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(json.length);
        response.getOutputStream().write(json);
    }
}
