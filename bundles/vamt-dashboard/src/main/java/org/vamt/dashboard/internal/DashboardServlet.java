package org.vamt.dashboard.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.servlet.Servlet;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.Endpoints;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.operator.AuditLogs;
import org.vamt.operator.Nodes;
import org.vamt.operator.OperatorPower;
import org.vamt.operator.PowerAction;
import org.vamt.operator.Providers;
import org.vamt.security.SecurityService;
import org.vamt.markup.Markup;

/**
 * The operator dashboard at {@code /vamt/} on Karaf's HTTP service (the management interface,
 * loopback by default): every VM with its endpoint, power state and node, power actions, the
 * installed providers and the recent audit events. Server-side HTML, one small stylesheet, no
 * script. Form login against Karaf's JAAS realm with the admin role; a session cookie scoped to
 * {@code /vamt/}; every POST carries a CSRF token. Power actions go through the CIMOM as the
 * shell's do ({@link OperatorPower}), audited as {@code web:<user>}.
 */
@Component(service = Servlet.class, configurationPid = DashboardServlet.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
            "osgi.http.whiteboard.servlet.pattern=" + DashboardServlet.PATH + "/*",
            "osgi.http.whiteboard.servlet.name=vamt-dashboard"})
@Designate(ocd = DashboardServlet.Config.class)
public class DashboardServlet extends HttpServlet {
    static final String PID = "org.vamt.dashboard";
    static final String PATH = "/vamt";
    static final String SESSION_COOKIE = "vamt-dashboard";
    static final String LOGIN_COOKIE = "vamt-dashboard-login";
    /** The buttons each VM gets; shutdown (ACPI) stays in the shell, where waiting for the guest is visible. */
    static final List<PowerAction> BUTTONS = List.of(PowerAction.ON, PowerAction.OFF, PowerAction.RESET,
            PowerAction.CYCLE);
    /** Audit logs read per page at most: two CIM calls each. */
    static final int AUDIT_VMS = 100;
    static final int AUDIT_EVENTS = 25;
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServlet.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    @ObjectClassDefinition(name = "vAMT operator dashboard", description = "The dashboard at /vamt/ on Karaf's HTTP service")
    public @interface Config {
        @AttributeDefinition(description = "Karaf JAAS realm the dashboard logs in against")
        String realm() default "karaf";

        @AttributeDefinition(description = "JAAS role a user needs")
        String role() default "admin";

        @AttributeDefinition(description = "Minutes without a request after which a login ends")
        int sessionIdleMinutes() default 15;

        @AttributeDefinition(description = "VMs per page of the VM table (a search finds the others)")
        int vmsPerPage() default 100;
    }

    private final transient BundleContext context;
    private final transient JaasLogin jaas;
    private final transient Sessions sessions;
    private final int vmsPerPage;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile Hypervisor hypervisor;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile CimObjectManager cimom;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile Endpoints endpoints;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile SecurityService security;

    @Activate
    public DashboardServlet(BundleContext context, Config config) {
        this.context = context;
        this.jaas = new JaasLogin(config.realm(), config.role());
        this.sessions = new Sessions(Math.max(1, config.sessionIdleMinutes()) * 60_000L);
        this.vmsPerPage = Math.max(1, config.vmsPerPage());
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            route(req, resp);
        } catch (RuntimeException | CimException e) {
            // the operator sees a sentence; the stack trace goes to the service log only
            LOG.warn("dashboard: {} {} failed", req.getMethod(), req.getRequestURI(), e);
            if (!resp.isCommitted()) {
                resp.reset();
                plain(resp, 500, "The dashboard could not answer this request (" + e.getClass().getSimpleName()
                        + "); details are in data/log/karaf.log.");
            }
        }
    }

    private void route(HttpServletRequest req, HttpServletResponse resp) throws IOException, CimException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        String method = req.getMethod();
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self';"
                + " form-action 'self'; frame-ancestors 'none'");
        boolean get = "GET".equals(method) || "HEAD".equals(method);
        boolean post = "POST".equals(method);
        if (path.isEmpty() && get) {
            resp.sendRedirect(PATH + "/");
            return;
        }
        switch (path) {
            case "/style.css" -> {
                if (get) {
                    css(resp);
                    return;
                }
            }
            case "/" -> {
                if (get) {
                    Sessions.Session s = session(req);
                    if (s == null) {
                        loginPage(req, resp, 200, null);
                    } else {
                        dashboard(s, req, resp);
                    }
                    return;
                }
            }
            case "/login" -> {
                if (post) {
                    login(req, resp);
                    return;
                }
            }
            case "/logout", "/power" -> {
                if (post) {
                    Sessions.Session s = session(req);
                    if (s == null) {
                        plain(resp, 403, "Not logged in (or the login expired): log in at " + PATH + "/ first.");
                    } else if (!Sessions.sameToken(s.csrf, req.getParameter("csrf"))) {
                        LOG.warn("dashboard: {} by {} from {} refused: missing or wrong CSRF token", path, s.user,
                                req.getRemoteAddr());
                        plain(resp, 403, "Refused: the form's token does not match this login (CSRF protection)."
                                + " Reload " + PATH + "/ and try again.");
                    } else if ("/logout".equals(path)) {
                        sessions.close(s.id);
                        resp.addHeader("Set-Cookie", cookie(req, SESSION_COOKIE, "", 0));
                        seeOther(resp, PATH + "/");
                    } else {
                        power(req, resp, s);
                    }
                    return;
                }
            }
            default -> {
                plain(resp, 404, "Not found. The dashboard is at " + PATH + "/");
                return;
            }
        }
        resp.setHeader("Allow", path.equals("/") || path.equals("/style.css") ? "GET, HEAD" : "POST");
        plain(resp, 405, "Method " + method + " not allowed here.");
    }

    private Sessions.Session session(HttpServletRequest req) {
        return sessions.find(cookie(req, SESSION_COOKIE), System.currentTimeMillis());
    }

    private static String cookie(HttpServletRequest req, String name) {
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (name.equals(c.getName())) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    /** Scoped to the dashboard, invisible to scripts, never sent by another site's page. */
    private static String cookie(HttpServletRequest req, String name, String value, int maxAge) {
        return name + "=" + value + "; Path=" + PATH + "/; HttpOnly; SameSite=Strict"
                + (maxAge >= 0 ? "; Max-Age=" + maxAge : "") + (req.isSecure() ? "; Secure" : "");
    }

    // ---- login

    /**
     * The login form. Its token is also in a cookie (double submit), so a login POST from another
     * site's page is refused like every other POST.
     */
    private void loginPage(HttpServletRequest req, HttpServletResponse resp, int status, String error)
            throws IOException {
        String token = Sessions.newToken();
        resp.addHeader("Set-Cookie", cookie(req, LOGIN_COOKIE, token, -1));
        StringBuilder b = head("Log in");
        b.append("<main><h1>vAMT operator dashboard</h1>");
        if (error != null) {
            b.append("<p class=\"error\" role=\"alert\">").append(Markup.escape(error)).append("</p>");
        }
        b.append("<form method=\"post\" action=\"").append(PATH).append("/login\" class=\"login\">")
                .append("<input type=\"hidden\" name=\"csrf\" value=\"").append(token).append("\">")
                .append("<label for=\"user\">User</label>")
                .append("<input id=\"user\" name=\"user\" autocomplete=\"username\" required autofocus>")
                .append("<label for=\"password\">Password</label>")
                .append("<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
                .append("<button type=\"submit\">Log in</button></form>")
                .append("<p class=\"note\">Karaf users (etc/users.properties, JAAS realm karaf) with the role ")
                .append(Markup.escape(jaas.role())).append(".</p></main></body></html>");
        html(resp, status, b);
    }

    private void login(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!Sessions.sameToken(cookie(req, LOGIN_COOKIE), req.getParameter("csrf"))) {
            loginPage(req, resp, 403, "The login form expired or came from elsewhere (CSRF protection): log in again.");
            return;
        }
        String user = req.getParameter("user");
        String password = req.getParameter("password");
        if (user == null || user.isBlank() || password == null) {
            loginPage(req, resp, 400, "Enter a user and a password.");
            return;
        }
        SecurityService guard = security;
        if (guard == null) {
            loginPage(req, resp, 503, "vAMT's security service is not running, so logins are refused for now.");
            return;
        }
        // the same lockout as every vAMT login: N failures in a row lock the name out from this address
        String account = jaas.account(user);
        if (guard.lockedOut(account, req.getRemoteAddr())) {
            LOG.warn("dashboard: login of {} from {} refused: locked out", loggable(user), req.getRemoteAddr());
            loginPage(req, resp, 403, "Too many failed logins: this user is locked out from your address for a while.");
            return;
        }
        JaasLogin.Outcome outcome = jaas.login(user, password.toCharArray());
        guard.loginChecked(account, req.getRemoteAddr(), outcome != JaasLogin.Outcome.WRONG_CREDENTIALS);
        switch (outcome) {
            case ADMITTED -> {
                Sessions.Session s = sessions.open(user, System.currentTimeMillis());
                LOG.info("dashboard: {} logged in from {}", loggable(user), req.getRemoteAddr());
                resp.addHeader("Set-Cookie", cookie(req, LOGIN_COOKIE, "", 0));
                resp.addHeader("Set-Cookie", cookie(req, SESSION_COOKIE, s.id, -1));
                seeOther(resp, PATH + "/");
            }
            case LACKS_ROLE -> {
                LOG.warn("dashboard: {} from {} refused: not in role {}", loggable(user), req.getRemoteAddr(),
                        jaas.role());
                loginPage(req, resp, 403, "User " + user + " may not use the dashboard: it needs the role "
                        + jaas.role() + ".");
            }
            default -> {
                LOG.warn("dashboard: failed login of {} from {}", loggable(user), req.getRemoteAddr());
                loginPage(req, resp, 403, "Wrong user name or password.");
            }
        }
    }

    /** A typed user name for the log: one line, bounded (a name could carry a line break to forge entries). */
    static String loggable(String user) {
        String oneLine = user.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() > 64 ? oneLine.substring(0, 64) + "..." : oneLine;
    }

    // ---- power

    private void power(HttpServletRequest req, HttpServletResponse resp, Sessions.Session s)
            throws IOException, CimException {
        String uuid = req.getParameter("vm");
        String word = req.getParameter("action");
        Hypervisor h = hypervisor;
        CimObjectManager c = cimom;
        String anchor = "";
        try {
            PowerAction action = PowerAction.of(word);
            if (h == null || c == null) {
                throw new IllegalStateException("vAMT is not ready: no hypervisor or no CIMOM yet.");
            }
            MachineInfo m = h.listMachines().stream().filter(x -> x.uuid().equalsIgnoreCase(String.valueOf(uuid)))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("No VM with UUID " + uuid + "."));
            anchor = "#vm-" + m.uuid();
            OperatorPower.request(c, security, endpoints, m, action, "web:" + s.user, req.getRemoteAddr());
            LOG.info("dashboard: {} from {}: {} {}", s.user, req.getRemoteAddr(), action.word(), m.name());
            s.say("VM " + m.name() + ": " + action.word() + " requested.", false);
        } catch (IllegalArgumentException | IllegalStateException e) {
            s.say(e.getMessage(), true);
        } catch (CimException e) {
            s.say("The power request failed: " + e.getMessage(), true);
        } catch (org.vamt.hypervisor.HypervisorException e) {
            s.say("The hypervisor did not answer: " + e.getMessage(), true);
        }
        seeOther(resp, PATH + "/" + returnView(req.getParameter("view")) + anchor);
    }

    // ---- the page

    private void dashboard(Sessions.Session s, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        StringBuilder b = head("vAMT operator dashboard");
        b.append("<header><h1>vAMT operator dashboard</h1><form method=\"post\" action=\"").append(PATH)
                .append("/logout\"><input type=\"hidden\" name=\"csrf\" value=\"").append(s.csrf)
                .append("\"><span>").append(Markup.escape(s.user)).append("</span> <button type=\"submit\">Log out</button>")
                .append("</form></header><main>");
        String[] message = s.takeMessage();
        b.append("<p id=\"message\" role=\"status\" class=\"").append(message == null ? "empty" : message[1])
                .append("\">").append(message == null ? "" : Markup.escape(message[0])).append("</p>");
        VmPage page = vms(b, s, req.getParameter("q"), req.getParameter("page"));
        audit(b, s, page);
        providers(b);
        b.append("</main></body></html>");
        html(resp, 200, b);
    }

    /**
     * The VM table, one page of the VMs the search text matches; returns that page (null when the
     * hypervisor cannot list them, said on the page).
     */
    private VmPage vms(StringBuilder b, Sessions.Session s, String query, String pageNumber) {
        b.append("<section aria-labelledby=\"vms-h\"><h2 id=\"vms-h\">Virtual machines</h2>");
        Hypervisor h = hypervisor;
        VmPage page;
        try {
            if (h == null) {
                throw new IllegalStateException("no hypervisor connection yet (feature vamt-libvirt or a gateway role)");
            }
            page = VmPage.of(h.listMachines(), query, pageNumber, vmsPerPage);
        } catch (Exception e) {
            b.append("<p class=\"error\">Cannot list the VMs: ").append(Markup.escape(e.getMessage())).append("</p></section>");
            return null;
        }
        b.append("<form method=\"get\" action=\"").append(PATH).append("/\" role=\"search\" class=\"search\">")
                .append("<label for=\"q\">Find VMs by name or UUID</label> <input id=\"q\" name=\"q\" maxlength=\"")
                .append(VmPage.MAX_QUERY).append("\" value=\"").append(Markup.escape(page.query()))
                .append("\"> <button type=\"submit\">Find</button></form>");
        b.append("<p id=\"vm-count\">");
        if (page.shown().isEmpty()) {
            b.append(page.query().isEmpty() ? "No VMs." : "No VM matches this search.");
        } else {
            b.append("VMs ").append(page.offset() + 1).append('\u2013').append(page.offset() + page.shown().size())
                    .append(" of ").append(page.matching()).append(page.query().isEmpty() ? "" : " matching")
                    .append(", ").append(page.running()).append(" on.");
        }
        b.append("</p>");
        List<MachineInfo> vms = page.shown();
        Map<String, String> nodes = Nodes.byMachine(context);
        Endpoints e = endpoints;
        if (!vms.isEmpty()) {
            b.append("<table id=\"vms\"><thead><tr><th>Name</th><th>State</th><th>Endpoint</th>");
            if (!nodes.isEmpty()) {
                b.append("<th>Node</th>");
            }
            b.append("<th>Power</th></tr></thead><tbody>");
        }
        for (MachineInfo m : vms) {
            Optional<Endpoints.Endpoint> ep = e == null ? Optional.empty() : e.endpoint(m.uuid());
            String state = m.state().name().toLowerCase(Locale.ROOT).replace('_', ' ');
            b.append("<tr id=\"vm-").append(Markup.escape(m.uuid())).append("\" data-vm=\"").append(Markup.escape(m.name()))
                    .append("\"><td data-label=\"Name\">");
            if (ep.isPresent()) {
                b.append("<a href=\"").append(Markup.escape(page(ep.get()))).append("\">").append(Markup.escape(m.name()))
                        .append("</a>");
            } else {
                b.append(Markup.escape(m.name()));
            }
            b.append("</td><td data-label=\"State\" class=\"state ").append(m.state().isOn() ? "on" : "off")
                    .append("\">").append(Markup.escape(state)).append("</td><td data-label=\"Endpoint\">")
                    .append(ep.map(x -> Markup.escape(x.url())).orElse("none")).append("</td>");
            if (!nodes.isEmpty()) {
                b.append("<td data-label=\"Node\">").append(Markup.escape(nodes.getOrDefault(
                        m.uuid().toLowerCase(Locale.ROOT), "?"))).append("</td>");
            }
            b.append("<td data-label=\"Power\"><form method=\"post\" action=\"").append(PATH)
                    .append("/power\" class=\"power\"><input type=\"hidden\" name=\"csrf\" value=\"").append(s.csrf).append("\">")
                    .append("<input type=\"hidden\" name=\"vm\" value=\"").append(Markup.escape(m.uuid())).append("\">")
                    .append("<input type=\"hidden\" name=\"view\" value=\"").append(Markup.escape(view(page.query(),
                            page.page()))).append("\">");
            for (PowerAction a : BUTTONS) {
                b.append("<button type=\"submit\" name=\"action\" value=\"").append(a.word()).append("\" aria-label=\"")
                        .append(a.word()).append(' ').append(Markup.escape(m.name())).append("\">").append(a.word())
                        .append("</button>");
            }
            b.append("</form></td></tr>");
        }
        if (!vms.isEmpty()) {
            b.append("</tbody></table>");
        }
        if (page.pages() > 1) {
            b.append("<nav aria-label=\"VM pages\" class=\"pages\">");
            if (page.page() > 1) {
                b.append("<a rel=\"prev\" href=\"").append(PATH).append('/')
                        .append(Markup.escape(view(page.query(), page.page() - 1))).append("\">Previous</a> ");
            }
            b.append("<span>Page ").append(page.page()).append(" of ").append(page.pages()).append("</span>");
            if (page.page() < page.pages()) {
                b.append(" <a rel=\"next\" href=\"").append(PATH).append('/')
                        .append(Markup.escape(view(page.query(), page.page() + 1))).append("\">Next</a>");
            }
            b.append("</nav>");
        }
        b.append("</section>");
        return page;
    }

    /** The query string of a view of the VM table ("" for the first page of all VMs). */
    static String view(String query, int page) {
        StringBuilder v = new StringBuilder();
        if (!query.isEmpty()) {
            v.append("?q=").append(java.net.URLEncoder.encode(query, StandardCharsets.UTF_8));
        }
        if (page > 1) {
            v.append(v.length() == 0 ? '?' : '&').append("page=").append(page);
        }
        return v.toString();
    }

    /** A view a power form carries back: only a query string of {@link #view}'s making, else the first page. */
    static String returnView(String view) {
        return view != null && view.matches("(\\?q=[A-Za-z0-9._*%+-]{1,600})?([?&]page=[0-9]{1,9})?") ? view : "";
    }

    /** Where a VM's own web page is: the root of its endpoint. */
    static String page(Endpoints.Endpoint ep) {
        try {
            return URI.create(ep.url()).resolve("/").toString();
        } catch (IllegalArgumentException e) {
            return "http://" + ep.address() + ":" + ep.port() + "/";
        }
    }

    private void providers(StringBuilder b) {
        b.append("<section aria-labelledby=\"providers-h\"><h2 id=\"providers-h\">Providers</h2>");
        // one row per bundle: a provider bundle registers one service per group of classes
        Map<String, Providers.Provider> byBundle = new java.util.LinkedHashMap<>();
        for (Providers.Provider p : Providers.list(context)) {
            byBundle.merge(p.bundle() + " " + p.where(), p, (x, y) -> new Providers.Provider(x.bundle(), x.version(),
                    x.where(), java.util.stream.Stream.concat(x.classes().stream(), y.classes().stream()).toList()));
        }
        List<Providers.Provider> list = new ArrayList<>(byBundle.values());
        if (list.isEmpty()) {
            b.append("<p>No CIM providers are installed.</p></section>");
            return;
        }
        b.append("<table id=\"providers\"><thead><tr><th>Bundle</th><th>Version</th><th>Where</th><th>Classes</th>")
                .append("</tr></thead><tbody>");
        for (Providers.Provider p : list) {
            b.append("<tr><td data-label=\"Bundle\">").append(Markup.escape(p.bundle()))
                    .append("</td><td data-label=\"Version\">").append(Markup.escape(p.version()))
                    .append("</td><td data-label=\"Where\">").append(Markup.escape(p.where()))
                    .append("</td><td data-label=\"Classes\" class=\"classes\">")
                    .append(Markup.escape(String.join(", ", p.classes()))).append("</td></tr>");
        }
        b.append("</tbody></table></section>");
    }

    private record Event(String vm, AuditLogs.Entry entry) {
    }

    /** The newest audit events of the VMs on the page shown (of the first {@value #AUDIT_VMS} of them). */
    private void audit(StringBuilder b, Sessions.Session s, VmPage page) {
        List<MachineInfo> vms = page == null ? List.of() : page.shown();
        b.append("<section aria-labelledby=\"audit-h\"><h2 id=\"audit-h\">Recent audit events</h2>");
        CimObjectManager c = cimom;
        if (c == null) {
            b.append("<p>No CIMOM yet.</p></section>");
            return;
        }
        List<Event> events = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (MachineInfo m : vms.subList(0, Math.min(vms.size(), AUDIT_VMS))) {
            try {
                RequestContext ctx = RequestContext.operator(m.uuid(), m.name(), "web:" + s.user, "");
                AuditLogs.newest(c, ctx, AUDIT_EVENTS).forEach(e -> events.add(new Event(m.name(), e)));
            } catch (CimException | RuntimeException e) {
                unreadable.add(m.name() + " (" + e.getMessage() + ")");
            }
        }
        events.sort(Comparator.comparing((Event e) -> e.entry().time()).reversed());
        if (events.isEmpty()) {
            b.append("<p>No audit events.</p>");
        } else {
            b.append("<table id=\"audit\"><thead><tr><th>Time</th><th>VM</th><th>Event</th><th>By</th><th>From</th>")
                    .append("</tr></thead><tbody>");
            for (Event e : events.subList(0, Math.min(events.size(), AUDIT_EVENTS))) {
                AuditLogs.Entry x = e.entry();
                b.append("<tr><td data-label=\"Time\">").append(TIME.format(x.time()))
                        .append("</td><td data-label=\"VM\">").append(Markup.escape(e.vm()))
                        .append("</td><td data-label=\"Event\">").append(Markup.escape(x.what()))
                        .append("</td><td data-label=\"By\">").append(Markup.escape(x.initiator().isEmpty() ? "-" : x.initiator()))
                        .append("</td><td data-label=\"From\">").append(Markup.escape(x.address().isEmpty() ? "-" : x.address()))
                        .append("</td></tr>");
            }
            b.append("</tbody></table>");
        }
        if (page != null && (vms.size() > AUDIT_VMS || page.shown().size() < page.matching())) {
            b.append("<p class=\"note\">From ").append(vms.size() > AUDIT_VMS ? "the first " + AUDIT_VMS + " VMs" : "the VMs")
                    .append(" of the table above; vamt:log &lt;vm&gt; in the shell reads any VM's log.</p>");
        }
        if (!unreadable.isEmpty()) {
            b.append("<p class=\"error\">Audit log not readable for: ").append(Markup.escape(String.join("; ", unreadable)))
                    .append("</p>");
        }
        b.append("</section>");
    }

    // ---- output

    private static StringBuilder head(String title) {
        return new StringBuilder(8192).append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>").append(Markup.escape(title)).append("</title>")
                .append("<link rel=\"stylesheet\" href=\"").append(PATH).append("/style.css\"></head><body>");
    }

    private void html(HttpServletResponse resp, int status, StringBuilder b) throws IOException {
        write(resp, status, "text/html; charset=UTF-8", b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void plain(HttpServletResponse resp, int status, String text) throws IOException {
        write(resp, status, "text/plain; charset=UTF-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void seeOther(HttpServletResponse resp, String location) {
        resp.setStatus(303);
        resp.setHeader("Location", location);
    }

    private static void write(HttpServletResponse resp, int status, String type, byte[] body) throws IOException {
        resp.setStatus(status);
        resp.setContentType(type);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    private void css(HttpServletResponse resp) throws IOException {
        try (InputStream in = DashboardServlet.class.getResourceAsStream("style.css")) {
            if (in == null) {
                plain(resp, 404, "No stylesheet.");
                return;
            }
            resp.setHeader("Cache-Control", "max-age=3600");
            write(resp, 200, "text/css; charset=UTF-8", in.readAllBytes());
        }
    }
}
