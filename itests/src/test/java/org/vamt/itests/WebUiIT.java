package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.vamt.endpoints.Endpoints;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineState;

/**
 * AMT's web UI on a VM endpoint of the real distribution, driven in real headless Chromium
 * (puppeteer-core and Debian's chromium; webui-browser.js): Digest login, status and inventory,
 * power off by keyboard with the state change in the page, in libvirt and in the audit log; a
 * user without the remote control realm gets no buttons and a direct POST is refused; a wrong
 * password gets AMT's 401; a provider that leaves takes its sections with it; a power on over TLS
 * (16993) passes the origin check. Screenshots go to
 * target/screenshots/.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebUiIT {
    static final int PORT = 53992;
    static final String VIEWER_PASSWORD = "V1ewer!web-pass";
    /** Set in the container by {@link #config()}: the test runs inside Karaf, whose working directory is its own. */
    static final Path NODE = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));
    static final Path SHOTS = Paths.get(System.getProperty("vamt.screenshots.dir", "target/screenshots"));

    @Inject
    BundleContext context;

    @Inject
    SessionFactory sessionFactory;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("webui", PORT, "53181", "53101", "53099", "53444"),
            systemProperty("vamt.node.dir").value(NODE.toAbsolutePath().toString()),
            systemProperty("vamt.screenshots.dir").value(SHOTS.toAbsolutePath().toString()));
    }

    private Endpoints.Endpoint endpoint(String vmName) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            var ref = context.getServiceReference(Endpoints.class);
            if (ref != null) {
                var found = context.getService(ref).endpoints().stream().filter(e -> e.name().equals(vmName))
                        .findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no endpoint for " + vmName);
            }
            Thread.sleep(250);
        }
    }

    private MachineState state(String uuid) throws Exception {
        Hypervisor hypervisor = context.getService(context.getServiceReference(Hypervisor.class));
        return hypervisor.machine(uuid).orElseThrow().state();
    }

    private static String base(Endpoints.Endpoint ep) {
        return "http://" + ep.address() + ":" + PORT;
    }

    /** Runs webui-browser.js; one JSON line per step. */
    static List<String> browser(String base, String user, String password, String... steps) throws Exception {
        if (!Files.isDirectory(NODE.resolve("node_modules/puppeteer-core"))) {
            fail("Node packages missing: run 'npm ci --omit=optional --ignore-scripts' in " + NODE
                    + " (./vamt test does it)");
        }
        assertTrue("/usr/bin/chromium is missing: apt-get install chromium (./vamt test does it)",
                Files.isExecutable(Paths.get("/usr/bin/chromium")));
        Files.createDirectories(SHOTS);
        List<String> cmd = new ArrayList<>(List.of("node", NODE.resolve("webui-browser.js").toString(), base, user,
                password, SHOTS.toAbsolutePath().toString()));
        cmd.addAll(List.of(steps));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the browser did not finish: " + out);
        }
        assertEquals("webui-browser.js failed; its output:\n" + out, 0, p.exitValue());
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(out, steps.length, lines.size());
        return lines;
    }

    /** A JSON string or number field of a line, crudely (the lines are ours). */
    static String field(String line, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + java.util.regex.Pattern.quote(name)
                + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.]+|null|true|false)").matcher(line);
        assertTrue("no " + name + " in " + line, m.find());
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    /** curl's status code and body of a form POST with Digest. */
    static String curlPost(String url, String user, String password, String origin, String form) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "--digest", "-u", user + ":" + password, "-H", "Origin: " + origin,
                "--data", form, "-w", "\nHTTP %{http_code}", url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("curl timed out", p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    static final String WEBUSER_PASSWORD = "Web-Passw0rd#2";

    @Test
    public void theVmPageInARealBrowser() throws Exception {
        Endpoints.Endpoint ep = endpoint("desktop-02");
        String base = base(ep);
        assertEquals("desktop-02 runs at the start", MachineState.RUNNING, state(ep.uuid()));
        String created = KarafShell.execute(sessionFactory, "vamt:user-add --realm hardware-asset --realm general-info"
                + " --vm desktop-02 --password " + VIEWER_PASSWORD + " viewer");
        assertTrue(created, created.contains("viewer"));

        // --- the administrator: status, inventory, power off by keyboard, the audit log
        List<String> admin = browser(base, "admin", WsmanClient.PASSWORD, "status", "phone", "hardware", "remote",
                "power:off", "audit", "events");
        String status = admin.get(0);
        assertEquals(status, "200", field(status, "status"));
        assertTrue("the root leads to the status page: " + status, field(status, "url").endsWith("/index.htm"));
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307", field(status, "server"));
        assertEquals(status, "On (S0)", field(status, "Power"));
        assertEquals(status, "16.1.30", field(status, "Intel(R) AMT version"));
        assertTrue(status, status.contains("\"/audit.htm\"") && status.contains("\"/users.htm\""));
        assertEquals("nothing wider than a phone's screen: " + admin.get(1), "0", field(admin.get(1), "overflow"));
        String hw = admin.get(2);
        assertTrue(hw, hw.contains("\"processors\"") && hw.contains("\"memory\"") && hw.contains("\"disks\"")
                && hw.contains("\"bios\""));
        assertTrue("desktop-02's vCPUs are listed: " + hw, hw.contains("[\"CPU 0\","));
        String remote = admin.get(3);
        assertTrue(remote, remote.contains("\"buttons\":[\"off\",\"reset\",\"cycle\"]"));
        String off = admin.get(4);
        assertEquals(off, "200", field(off, "status"));
        assertTrue(off, field(off, "url").endsWith("/remote.htm?done=off"));
        assertEquals(off, "Power off requested.", field(off, "notice"));
        assertEquals("the page shows the new state: " + off, "Off, soft (S5)", field(off, "Power state"));
        assertTrue("power on is offered now: " + off, off.contains("\"buttons\":[\"on\"]"));
        assertEquals("libvirt has the VM off", MachineState.SHUT_OFF, state(ep.uuid()));
        String audit = admin.get(5);
        assertTrue("the newest audit record is the web power off by admin from 127.0.0.1: " + audit,
                audit.contains("\"audit\":[[\"") && audit.matches(".*\"audit\":\\[\\[\"[^\"]+\",\"power down\",\"admin\","
                        + "\"127\\.0\\.0\\.1\"\\].*"));
        String events = admin.get(6);
        assertTrue("the event log has the power off: " + events, events.contains("soft off (powered off)"));
        Files.copy(SHOTS.resolve("remote-after-off-admin.png"), SHOTS.resolve("vm-web-ui.png"), StandardCopyOption.REPLACE_EXISTING);

        // --- a user without the remote control realm: no buttons, a direct POST refused, nothing happens
        List<String> viewer = browser(base, "viewer", VIEWER_PASSWORD, "remote", "page:/audit.htm");
        String viewerRemote = viewer.get(0);
        assertEquals(viewerRemote, "200", field(viewerRemote, "status"));
        assertTrue("no power buttons: " + viewerRemote, viewerRemote.contains("\"buttons\":[]"));
        assertEquals("the power state anyone may read: " + viewerRemote, "Off", field(viewerRemote, "Power state"));
        assertFalse("no audit log in the menu: " + viewerRemote, viewerRemote.contains("/audit.htm"));
        assertEquals(viewer.get(1), "404", field(viewer.get(1), "status"));
        String post = curlPost(base + "/remote.htm", "viewer", VIEWER_PASSWORD, base, "action=on&csrf=1.x");
        assertTrue("a direct POST without the realm is refused: " + post, post.endsWith("HTTP 403"));
        assertTrue(post, post.contains("Remote Control realm"));
        String forged = curlPost(base + "/remote.htm", "admin", WsmanClient.PASSWORD, base, "action=on");
        assertTrue("the administrator's POST without the page's token is refused: " + forged,
                forged.endsWith("HTTP 403"));
        assertEquals("neither POST started the VM", MachineState.SHUT_OFF, state(ep.uuid()));

        // --- a wrong password: AMT's 401, nothing of the page
        String wrong = browser(base, "viewer", "not-the-password", "page:/index.htm").get(0);
        assertEquals(wrong, "401", field(wrong, "status"));
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307", field(wrong, "server"));
        assertFalse(wrong, wrong.contains("desktop-02"));

        // --- the inventory provider leaves: its sections go, the page still answers
        Bundle inventory = bundle("vamt-provider-inventory");
        String location = inventory.getLocation();
        inventory.uninstall();
        try {
            String without = awaitHardware(base, false);
            assertTrue("CIM_Processor is the processor provider's and stays: " + without,
                    without.contains("\"processors\""));
            assertTrue("no error on the page: " + without, without.contains("\"error\":null"));
        } finally {
            context.installBundle(location).start();
        }
        awaitHardware(base, true);

        // --- over TLS (16993, vAMT's self-signed certificate): the form's origin is https, power on works
        String tls = "https://" + ep.address() + ":" + (PORT + 1);
        List<String> overTls = browser(tls, "admin", WsmanClient.PASSWORD, "power:on", "status");
        String on = overTls.get(0);
        assertEquals(on, "200", field(on, "status"));
        assertEquals(on, "Power on requested.", field(on, "notice"));
        assertEquals("libvirt has the VM running again", MachineState.RUNNING, state(ep.uuid()));
        assertTrue("the uptime, from the power on in the event log: " + overTls.get(1),
                field(overTls.get(1), "Running since").endsWith("UTC (0 min)"));
    }

    /** curl's body and status line of a GET with Digest. */
    static String curlGet(String url, String user, String password) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "--digest", "-u", user + ":" + password, "-w", "\nHTTP %{http_code}",
                url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("curl timed out", p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    private static String match(String text, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        assertTrue("no " + regex + " in " + text, m.find());
        return m.group(1);
    }

    /**
     * The users page changes users as a console would: the administrator adds a user with two
     * realms, who can then log in with that password and reads only what those realms allow; a weak
     * password, a user without the ACL realm and a POST without the page's token are refused; the
     * removal locks the user out again. Both changes are in the VM's audit log.
     */
    @Test
    public void theUsersPageAddsAndRemovesAVmUser() throws Exception {
        Endpoints.Endpoint ep = endpoint("kiosk");
        String base = base(ep);
        String page = curlGet(base + "/users.htm", "admin", WsmanClient.PASSWORD);
        assertTrue(page, page.endsWith("HTTP 200") && page.contains("<h3>Add a user</h3>"));
        String token = match(page, "name=\"csrf\" value=\"([^\"]+)\"");
        String add = "csrf=" + token + "&action=add&user=webuser&realm=hardware-asset&realm=general-info&access=any"
                + "&password=" + java.net.URLEncoder.encode(WEBUSER_PASSWORD, StandardCharsets.UTF_8);

        String weak = curlPost(base + "/users.htm", "admin", WsmanClient.PASSWORD, base,
                add.replace("&password=", "&password=short&ignored="));
        assertTrue("a weak password is refused: " + weak, weak.endsWith("HTTP 400") && weak.contains("8-32 characters"));
        String forged = curlPost(base + "/users.htm", "admin", WsmanClient.PASSWORD, base,
                add.replace("csrf=" + token, "csrf=1.forged"));
        assertTrue("no valid token: " + forged, forged.endsWith("HTTP 403"));
        assertTrue("nothing was added", curlGet(base + "/index.htm", "webuser", WEBUSER_PASSWORD).endsWith("HTTP 401"));

        String added = curlPost(base + "/users.htm", "admin", WsmanClient.PASSWORD, base, add);
        assertTrue(added, added.endsWith("HTTP 303"));
        String status = curlGet(base + "/index.htm", "webuser", WEBUSER_PASSWORD);
        assertTrue("the new user logs in with its password: " + status, status.endsWith("HTTP 200"));
        assertTrue("general-info lets it read the status: " + status, status.contains("kiosk"));
        String itsUsers = curlGet(base + "/users.htm", "webuser", WEBUSER_PASSWORD);
        assertTrue("no ACL realm, no users page: " + itsUsers, itsUsers.endsWith("HTTP 404"));
        String byIt = curlPost(base + "/users.htm", "webuser", WEBUSER_PASSWORD, base, add.replace("webuser", "other"));
        assertTrue("a user without the ACL realm may not add users: " + byIt, byIt.endsWith("HTTP 403"));

        String listed = curlGet(base + "/users.htm?done=add", "admin", WsmanClient.PASSWORD);
        assertTrue(listed, listed.contains("User added.") && listed.contains("<td>webuser</td><td>hardware-asset, general-info</td>"));
        String handle = match(listed, "name=\"handle\" value=\"([0-9]+)\"><input type=\"hidden\" name=\"name\" value=\"webuser\"");
        String removed = curlPost(base + "/users.htm", "admin", WsmanClient.PASSWORD, base, "csrf="
                + match(listed, "name=\"csrf\" value=\"([^\"]+)\"") + "&action=remove&handle=" + handle + "&name=webuser");
        assertTrue(removed, removed.endsWith("HTTP 303"));
        assertTrue("the removed user is refused", curlGet(base + "/index.htm", "webuser", WEBUSER_PASSWORD)
                .endsWith("HTTP 401"));
        String audit = curlGet(base + "/audit.htm", "admin", WsmanClient.PASSWORD);
        assertTrue("both changes are audited: " + audit, audit.contains("ACL entry added")
                && audit.contains("ACL entry removed"));
    }

    /** The hardware page once the inventory's sections are there ({@code present}) or gone. */
    private String awaitHardware(String base, boolean present) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            String hw = browser(base, "admin", WsmanClient.PASSWORD, "hardware").get(0);
            assertEquals(hw, "200", field(hw, "status"));
            boolean has = hw.contains("\"memory\"") && hw.contains("\"disks\"") && hw.contains("\"bios\"");
            boolean none = !hw.contains("\"memory\"") && !hw.contains("\"disks\"") && !hw.contains("\"bios\"");
            if (present ? has : none) {
                return hw;
            }
            if (System.currentTimeMillis() > deadline) {
                fail("the inventory sections did not " + (present ? "come back" : "go") + ": " + hw);
            }
            Thread.sleep(500);
        }
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }
}
