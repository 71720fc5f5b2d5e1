package org.vamt.webui.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler;

/**
 * AMT's web UI on every VM endpoint, as a real AMT serves it on 16992/16993: pages of small
 * server-side HTML (no script, one stylesheet) behind the same Digest login, realms and audit trail
 * as WS-Management. The page is a client of the CIMOM with the caller's context: what it shows is
 * what providers serve now and the user may read; power actions are the CIM method consoles call,
 * audited as WS-Management audits it. Every action is a form POST carrying a {@link CsrfGuard} token.
 */
@Component(service = EndpointPathHandler.class, property = {
    EndpointPathHandler.PATH + "=/",
    EndpointPathHandler.PATH + "=" + WebUi.CSS_PATH,
    EndpointPathHandler.PATH + "=/index.htm",
    EndpointPathHandler.PATH + "=/hw-sys.htm",
    EndpointPathHandler.PATH + "=/events.htm",
    EndpointPathHandler.PATH + "=/audit.htm",
    EndpointPathHandler.PATH + "=/remote.htm",
    EndpointPathHandler.PATH + "=/net.htm",
    EndpointPathHandler.PATH + "=/users.htm"})
public class WebUi implements EndpointPathHandler {
    private static final Logger LOG = LoggerFactory.getLogger(WebUi.class);
    static final String CSS_PATH = "/vamt.css";
    static final String HTML = "text/html; charset=UTF-8";
    /** AMT's audit log: the remote control application; events 0 up, 1 down, 2 cycle, 3 reset, 4 boot options. */
    static final int AUDIT_REMOTE_CONTROL = org.vamt.operator.OperatorPower.APP_REMOTE_CONTROL;
    static final int AUDIT_BOOT_OPTIONS = 4;
    /** What every page says about itself: not cached, no script, no frames, forms only to this endpoint. */
    static final Map<String, String> PAGE_HEADERS = Map.of(
            "Cache-Control", "no-store",
            "Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                    + "frame-ancestors 'none'; base-uri 'none'",
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "same-origin");
    private static final String CSS = resource("vamt.css");

    private final CimObjectManager cim;
    private final CsrfGuard csrf;
    private final Clock clock;

    @Activate
    public WebUi(@Reference CimObjectManager cim) {
        this(cim, CsrfGuard.withNewSecret(Clock.systemUTC()), Clock.systemUTC());
    }

    WebUi(CimObjectManager cim, CsrfGuard csrf, Clock clock) {
        this.cim = cim;
        this.csrf = csrf;
        this.clock = clock;
    }

    @Override
    public Set<String> methods() {
        return Set.of("GET", "POST");
    }

    @Override
    public Reply handle(Call call) {
        String path = call.path();
        boolean get = "GET".equals(call.method());
        if ("/".equals(path)) {
            return new Reply(303, EndpointPathHandler.TEXT, "See /index.htm", Map.of("Location", Page.STATUS.path));
        }
        if (CSS_PATH.equals(path)) {
            return get ? new Reply(200, "text/css; charset=UTF-8", CSS, Map.of("Cache-Control", "private, max-age=3600",
                    "X-Content-Type-Options", "nosniff")) : notAllowed();
        }
        Page page = Page.byPath(path).orElse(null);
        if (page == null) {
            return new Reply(404, EndpointPathHandler.TEXT, "Not found.");
        }
        if (!get && page != Page.REMOTE && page != Page.USERS) {
            return notAllowed();
        }
        Reads reads = new Reads(cim, call.context());
        try {
            return call.bounded(() -> get ? show(page, reads, call) : page == Page.USERS
                            ? UserAction.run(reads, call, csrf, this) : PowerAction.run(reads, call, csrf, this),
                    call.maxOperationMillis());
        } catch (TimeoutException e) {
            return error(reads, page, 503, "The VM did not answer in time. Reload the page to try again.");
        } catch (ExecutionException e) {
            LOG.error("VM {}: web page {} for {} failed", call.context().machineName(), path, call.context().user(),
                    e.getCause());
            return error(reads, page, 500, "Internal error.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(reads, page, 503, "vAMT is shutting down.");
        }
    }

    private static Reply notAllowed() {
        return new Reply(405, EndpointPathHandler.TEXT, "Method not allowed.", Map.of("Allow", "GET"));
    }

    private Reply show(Page page, Reads r, Call call) {
        if (!page.offered(r)) {
            return error(r, page, 404, "This page is not available: its classes are not served on this VM now, "
                    + "or your account may not read them.");
        }
        Html body = new Html();
        switch (page) {
            case STATUS -> Sections.status(body, r, clock);
            case HARDWARE -> Sections.hardware(body, r);
            case EVENTS -> Sections.events(body, r);
            case AUDIT -> Sections.audit(body, r);
            case REMOTE -> Sections.remote(body, r, csrf.issue(r.context().machineId(), r.context().user()),
                    notice(call.query()));
            case NETWORK -> Sections.network(body, r);
            case USERS -> Sections.users(body, r, csrf.issue(r.context().machineId(), r.context().user()),
                    userNotice(call.query()));
        }
        if (body.length() == 0) {
            body.raw("<p>Nothing on this page is available to your account on this VM.</p>");
        }
        return page(r, page, 200, body.toString());
    }

    /** The result line after a power action (Post/Redirect/Get): only the texts this bundle knows. */
    private static String notice(String query) {
        Map<String, String> q = form(query == null ? "" : query);
        return PowerAction.byName(q.get("done")).map(a -> a.label + " requested.").orElse(null);
    }

    /** The result line after a change of users: only the texts this bundle knows. */
    private static String userNotice(String query) {
        String done = form(query == null ? "" : query).get("done");
        return UserAction.byName(done).map(a -> a == UserAction.ADD ? "User added." : "User removed.").orElse(null);
    }

    /** A page with {@code status} and {@code message} as its text, never a stack trace. */
    Reply error(Reads r, Page page, int status, String message) {
        Html body = new Html().raw("<p class=\"error\" role=\"alert\">").text(message).raw("</p>");
        return page(r, page, status, body.toString());
    }

    /** The page around {@code content}: header, the menu of what is offered, the title. */
    Reply page(Reads r, Page page, int status, String content) {
        RequestContext ctx = r.context();
        Html h = new Html().raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
                .text(page.title + " - " + ctx.machineName() + " - Intel(R) Active Management Technology")
                .raw("</title><link rel=\"stylesheet\" href=\"" + CSS_PATH + "\"></head><body>"
                        + "<a class=\"skip\" href=\"#main\">Skip to content</a><header><p class=\"brand\">"
                        + "Intel<sup>&reg;</sup> Active Management Technology</p><p class=\"who\">")
                .text(ctx.machineName()).raw(" &middot; signed in as ").text(ctx.user())
                .raw("</p></header><nav aria-label=\"Pages\"><ul>");
        for (Page p : Page.values()) {
            if (p.offered(r)) {
                h.raw("<li><a href=\"").text(p.path).raw(p == page ? "\" aria-current=\"page\">" : "\">").text(p.title)
                        .raw("</a></li>");
            }
        }
        h.raw("</ul></nav><main id=\"main\"><h1>").text(page.title).raw("</h1>").raw(content)
                .raw("</main><footer><p>vAMT: a virtual Intel AMT for this virtual machine.</p></footer></body></html>\n");
        return new Reply(status, HTML, h.toString(), PAGE_HEADERS);
    }

    /** Decodes {@code application/x-www-form-urlencoded} text (a form body or a query string). */
    static Map<String, String> form(String encoded) {
        Map<String, String> out = new HashMap<>();
        formValues(encoded).forEach((name, values) -> out.put(name, values.get(0)));
        return out;
    }

    /** As {@link #form}, with every value of a name that comes more than once (checkboxes), in order. */
    static Map<String, List<String>> formValues(String encoded) {
        Map<String, List<String>> out = new HashMap<>();
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    /** The text of a CIM failure, for a page: what went wrong, in words. */
    static String describe(CimException e) {
        if (e.status() == CimStatus.UNAVAILABLE) {
            return "The hypervisor does not answer now.";
        }
        return e.getMessage() == null ? e.status().toString() : e.getMessage();
    }

    private static String resource(String name) {
        try (InputStream in = WebUi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the bundle");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
