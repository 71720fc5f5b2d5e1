package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;

/**
 * The operator dashboard (/vamt/ on Karaf's HTTP service) in the real distribution, driven in real
 * headless Chromium (puppeteer-core, src/test/node/dashboard-session.js): JAAS login, the VM table,
 * a power button pressed from the keyboard, the change in the page, in libvirt's test driver and in
 * the recent audit events; refusals of a wrong password, a user without the admin role and POSTs
 * without a login or with a wrong CSRF token. Screenshots go to target/screenshots/.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DashboardIT {
    static final int PORT = 53992;
    static final String HTTP_PORT = "53181";
    static final String DASHBOARD = "http://127.0.0.1:" + HTTP_PORT + "/vamt/";
    static final String ADMIN = "ops";
    static final String ADMIN_PASSWORD = "Ops-Passw0rd#1";
    static final String VIEWER = "viewer";
    static final String VIEWER_PASSWORD = "Viewer-Passw0rd#1";
    /** An admin whose password the lockout test guesses wrong: a name of its own, so no other test is locked out. */
    static final String GUESSED = "guessed";
    static final String GUESSED_PASSWORD = "Guessed-Passw0rd#1";

    @Inject
    Hypervisor hypervisor;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("dashboard", PORT, HTTP_PORT, "53101", "53099", "53444"),
                // Karaf JAAS users (realm karaf): one with the admin role, one without
                editConfigurationFilePut("etc/users.properties", ADMIN, ADMIN_PASSWORD + ",admin"),
                editConfigurationFilePut("etc/users.properties", VIEWER, VIEWER_PASSWORD + ",viewer"),
                editConfigurationFilePut("etc/users.properties", GUESSED, GUESSED_PASSWORD + ",admin"),
                // the test runs inside Karaf, whose working directory is its own: absolute paths
                systemProperty("vamt.node.dir").value(new File(System.getProperty("vamt.node.dir", "src/test/node"))
                        .getAbsolutePath()),
                systemProperty("vamt.screenshots.dir").value(new File("target/screenshots").getAbsolutePath()));
    }

    @Test
    public void operatorPowersAVmOffFromTheKeyboardAndSeesItInThePageInLibvirtAndInTheAuditLog() throws Exception {
        awaitDashboard();
        assertEquals("desktop-02 runs before the test", MachineState.RUNNING, state("desktop-02"));
        List<String> out = browser("login:" + ADMIN + ":" + ADMIN_PASSWORD, "vms", "power:desktop-02:off",
                "view:dashboard", "wait-state:desktop-02:shut off", "audit", "shot:dashboard-full", "phone",
                "shot:dashboard-phone", "logout");
        assertEquals(out.get(0), "200", field(out.get(0), "status"));
        assertEquals(out.get(0), "true", field(out.get(0), "loggedIn"));
        // the password the test wrote in clear into etc/users.properties was hashed in place at the login
        String users = java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("karaf.etc"),
                "users.properties"));
        assertFalse("no password in clear: " + users, users.contains(ADMIN_PASSWORD));
        assertTrue("a bcrypt hash: " + users, users.matches("(?s).*\\bops\\s*=\\s*\\{CRYPT\\}[0-9a-f]+\\{CRYPT\\},admin.*"));
        String vms = out.get(1);
        for (String vm : new String[] {"build-server", "desktop-01", "desktop-02", "kiosk"}) {
            assertTrue("the page lists " + vm + ": " + vms, vms.contains("\"name\":\"" + vm + "\""));
        }
        assertTrue("desktop-02 reads running, with its endpoint and a link to its own page: " + vms, vms.contains(
                "\"name\":\"desktop-02\",\"state\":\"running\",\"endpoint\":\"http://127.0.0.4:" + PORT
                        + "/wsman\",\"link\":\"http://127.0.0.4:" + PORT + "/\",\"buttons\":[\"on\",\"off\",\"reset\",\"cycle\"]"));
        assertTrue("build-server reads shut off: " + vms, vms.contains("\"name\":\"build-server\",\"state\":\"shut off\""));

        String off = out.get(2);
        assertEquals(off, "VM desktop-02: off requested.", field(off, "message"));
        assertEquals(off, "shut off", field(off, "state"));
        assertEquals("libvirt's test driver has desktop-02 off", MachineState.SHUT_OFF, state("desktop-02"));

        String audit = out.get(5);
        Matcher newest = Pattern.compile("\"events\":\\[\\[\"[^\"]+\",\"([^\"]+)\",\"([^\"]+)\",\"([^\"]+)\",\"([^\"]+)\"\\]")
                .matcher(audit);
        assertTrue("recent audit events: " + audit, newest.find());
        assertEquals(audit, List.of("desktop-02", "power down", "web:" + ADMIN, "127.0.0.1"),
                List.of(newest.group(1), newest.group(2), newest.group(3), newest.group(4)));

        assertEquals("readable at phone width without sideways scrolling: " + out.get(7), "false",
                field(out.get(7), "scrollsSideways"));
        for (String shot : new String[] {"dashboard", "dashboard-full", "dashboard-phone"}) {
            Path png = Paths.get(System.getProperty("vamt.screenshots.dir"), shot + ".png");
            byte[] head = Files.readAllBytes(png);
            assertTrue(png + " is a PNG", head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G');
        }
        assertEquals(out.get(9), "false", field(out.get(9), "loggedIn"));

        // and back on, leaving the VM as the test found it
        List<String> on = browser("login:" + ADMIN + ":" + ADMIN_PASSWORD, "power:desktop-02:on",
                "wait-state:desktop-02:running");
        assertEquals(on.get(1), "VM desktop-02: on requested.", field(on.get(1), "message"));
        assertEquals(MachineState.RUNNING, state("desktop-02"));
    }

    @Test
    public void wrongPasswordUserWithoutTheAdminRoleAndForgedPostsAreRefused() throws Exception {
        awaitDashboard();
        List<String> out = browser("login:" + ADMIN + ":not-" + ADMIN_PASSWORD, "login:" + VIEWER + ":" + VIEWER_PASSWORD);
        assertEquals(out.get(0), "403", field(out.get(0), "status"));
        assertEquals(out.get(0), "Wrong user name or password.", field(out.get(0), "error"));
        assertEquals(out.get(0), "false", field(out.get(0), "loggedIn"));
        assertEquals(out.get(1), "403", field(out.get(1), "status"));
        assertEquals(out.get(1), "User viewer may not use the dashboard: it needs the role admin.",
                field(out.get(1), "error"));
        assertEquals(out.get(1), "false", field(out.get(1), "loggedIn"));

        // the same from a plain HTTP client: no session, a forged login, a wrong or missing CSRF token
        String kiosk = uuid("kiosk");
        DashboardClient http = new DashboardClient(DASHBOARD);
        HttpResponse<String> noSession = http.post("power", null, "vm=" + kiosk + "&action=off");
        assertEquals(noSession.body(), 403, noSession.statusCode());
        assertTrue(noSession.body(), noSession.body().startsWith("Not logged in"));
        HttpResponse<String> forgedLogin = http.post("login", null, "user=" + ADMIN + "&password=" + ADMIN_PASSWORD);
        assertEquals("a login POST without the form's token", 403, forgedLogin.statusCode());
        assertFalse(forgedLogin.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("vamt-dashboard=")));

        String session = http.login(ADMIN, ADMIN_PASSWORD);
        for (String body : new String[] {"vm=" + kiosk + "&action=off", "csrf=forged&vm=" + kiosk + "&action=off"}) {
            HttpResponse<String> r = http.post("power", session, body);
            assertEquals(body, 403, r.statusCode());
            assertTrue(r.body(), r.body().startsWith("Refused: the form's token does not match this login"));
        }
        assertEquals("a refused POST changes nothing", MachineState.RUNNING, state("kiosk"));

        HttpResponse<String> unknown = http.get("no/such/page", null);
        assertEquals(404, unknown.statusCode());
        HttpResponse<String> badAction = http.post("power", session, "csrf=" + http.csrf(session) + "&vm=" + kiosk
                + "&action=explode");
        assertEquals("a refused action is a message on the next page", 303, badAction.statusCode());
        String page = http.get(session).body();
        assertTrue(page, page.contains("unknown action &#39;explode&#39;; use one of [on, cycle, off, reset, shutdown]"));
        for (HttpResponse<String> r : List.of(noSession, forgedLogin, unknown, badAction)) {
            assertFalse("no stack trace: " + r.body(), r.body().contains("Exception") || r.body().contains("\tat "));
        }
    }

    /**
     * Karaf's JAAS realm has no lockout; the dashboard shares vAMT's: maxFailedLogins (5) wrong
     * passwords in a row lock the name out from that address, even with the right password, and
     * nobody else.
     */
    @Test
    public void repeatedWrongPasswordsLockTheNameOutOfTheDashboard() throws Exception {
        awaitDashboard();
        DashboardClient http = new DashboardClient(DASHBOARD);
        for (int i = 1; i <= 5; i++) {
            HttpResponse<String> wrong = http.submitLogin(GUESSED, "guess-" + i);
            assertEquals("guess " + i, 403, wrong.statusCode());
            assertTrue(wrong.body(), wrong.body().contains("Wrong user name or password."));
        }
        HttpResponse<String> locked = http.submitLogin(GUESSED, GUESSED_PASSWORD);
        assertEquals(locked.body(), 403, locked.statusCode());
        assertTrue(locked.body(), locked.body().contains("Too many failed logins"));
        assertFalse(locked.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("vamt-dashboard=")));
        // another name from the same address is not affected
        assertFalse(http.login(ADMIN, ADMIN_PASSWORD).isEmpty());
    }

    /** A search narrows the VM table; a power button pressed there comes back to the same view. */
    @Test
    public void theSearchNarrowsTheTableAndAPowerButtonReturnsToIt() throws Exception {
        awaitDashboard();
        DashboardClient http = new DashboardClient(DASHBOARD);
        String session = http.login(ADMIN, ADMIN_PASSWORD);
        String found = http.get("?q=DESKTOP", session).body();
        assertTrue(found, found.contains("data-vm=\"desktop-01\"") && found.contains("data-vm=\"desktop-02\""));
        assertFalse(found, found.contains("data-vm=\"kiosk\"") || found.contains("data-vm=\"build-server\""));
        assertTrue(found, found.contains("<p id=\"vm-count\">VMs 1\u20132 of 2 matching"));
        assertTrue("the search box keeps the text: " + found, found.contains("name=\"q\" maxlength=\"64\" value=\"DESKTOP\""));
        String none = http.get("?q=%3Cno+such%3E&page=7", session).body();
        assertTrue(none, none.contains("<p id=\"vm-count\">No VM matches this search.</p>") && !none.contains("<table id=\"vms\""));
        assertTrue("the search text is escaped: " + none, none.contains("value=\"&lt;no such&gt;\""));

        HttpResponse<String> pressed = http.post("power", session, "csrf=" + http.csrf(session) + "&vm="
                + uuid("desktop-01") + "&action=explode&view=%3Fq%3DDESKTOP");
        assertEquals(303, pressed.statusCode());
        assertEquals("/vamt/" + "?q=DESKTOP", pressed.headers().firstValue("Location").orElse(""));
        HttpResponse<String> forged = http.post("power", session, "csrf=" + http.csrf(session) + "&vm="
                + uuid("desktop-01") + "&action=explode&view=%2F%2Fevil.example%2F");
        assertEquals("a view not of the table's making goes to the first page", "/vamt/",
                forged.headers().firstValue("Location").orElse(""));
    }

    // ---- helpers

    private MachineState state(String name) throws Exception {
        return machine(name).state();
    }

    private String uuid(String name) throws Exception {
        return machine(name).uuid();
    }

    private MachineInfo machine(String name) throws Exception {
        return hypervisor.listMachines().stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no VM " + name));
    }

    /** The dashboard answers once the whiteboard has its servlet and the VMs are listed. */
    private static void awaitDashboard() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 90_000;
        while (true) {
            try {
                // the page lists each VM with its endpoint: wait for desktop-02's to answer too (the
                // dashboard can be up a moment before the endpoints are, and then shows "none")
                if (http.send(HttpRequest.newBuilder(URI.create(DASHBOARD)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        && http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.4:" + PORT + "/wsman")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() > 0) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // Karaf's HTTP service or the VM's endpoint is still starting
            }
            if (System.currentTimeMillis() > deadline) {
                fail("the dashboard (" + DASHBOARD + ") and desktop-02's endpoint did not answer within 90 s");
            }
            Thread.sleep(200);
        }
    }

    /** Runs dashboard-session.js with these steps in Chromium; its JSON lines, one a step. */
    private static List<String> browser(String... steps) throws Exception {
        Path node = Paths.get(System.getProperty("vamt.node.dir"));
        if (!Files.isDirectory(node.resolve("node_modules/puppeteer-core"))) {
            fail("Node packages missing: run 'npm ci --omit=optional --ignore-scripts' in " + node
                    + " (./vamt test does it)");
        }
        List<String> cmd = new ArrayList<>(List.of("node", node.resolve("dashboard-session.js").toString(), DASHBOARD,
                System.getProperty("vamt.screenshots.dir")));
        cmd.addAll(List.of(steps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("dashboard-session.js did not finish: " + out);
        }
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        if (p.exitValue() != 0 || lines.size() != steps.length) {
            fail("dashboard-session.js failed (exit " + p.exitValue() + ") after " + lines.size() + " of "
                    + steps.length + " steps:\n" + out);
        }
        return lines;
    }

    static String field(String json, String name) {
        return RealClientsIT.field(json, name);
    }
}
