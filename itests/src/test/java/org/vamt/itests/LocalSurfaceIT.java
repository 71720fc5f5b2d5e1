package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Issue 17, defect 5 (local surface) and the shell's usability, on the distribution started by
 * {@code bin/karaf} as an operator runs it (as root here): another local account ({@code nobody})
 * can neither stop vAMT (no shutdown port; {@code bin/stop} signals the process, which only its
 * owner may) nor read anything under {@code etc/} or {@code data/} (credentials, keys, the shutdown
 * command); {@code bin/client vamt:vm-list} prints the demo VMs with no file edited and no terminal;
 * {@code vamt:admin-reset} gives the WS-Management admin a new password that logs in (and is not
 * logged); a command refused for bad input is one line for the operator and no ERROR stack trace in
 * {@code data/log/karaf.log}; the owner's {@code bin/stop} still stops vAMT.
 *
 * <p>Own copy of the distribution ({@code target/local-surface}) and own ports: WS-Management
 * 43992/43993, redirection 43994/43995 (on 127.0.0.1), SSH 43101, HTTP 43181, JMX 43099/43444.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class LocalSurfaceIT {
    static final int PORT = 43992;
    static final String DESKTOP_01 = "127.0.0.3";
    static final List<String> DEMO_VMS = List.of("build-server", "desktop-01", "desktop-02", "kiosk");
    /** Present after a first start; each holds a credential, a key or the means to stop vAMT. */
    static final List<String> SECRET_FILES = List.of("etc/users.properties", "etc/keys.properties",
            "etc/config.properties", "etc/host.key", "etc/vamt-users.properties", "etc/vamt-users.key",
            "etc/vamt-tls.p12", "etc/vamt-tls.password", "etc/vamt-client.key");

    static Path home;
    static Process karaf;
    /** The admin's password right now (d_ resets it). */
    static String adminPassword = WsmanClient.PASSWORD;

    @BeforeClass
    public static void startTheDistribution() throws Exception {
        home = DistributionFiles.freshCopy("local-surface");
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "port", String.valueOf(PORT));
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "tlsPort", String.valueOf(PORT + 1));
        DistributionFiles.setProperty(home, "etc/org.vamt.redirection.cfg", "port", String.valueOf(PORT + 2));
        DistributionFiles.setProperty(home, "etc/org.vamt.redirection.cfg", "tlsPort", String.valueOf(PORT + 3));
        DistributionFiles.setProperty(home, "etc/org.vamt.redirection.cfg", "bindAddress", "127.0.0.1");
        DistributionFiles.setProperty(home, "etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", "43181");
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.shell.cfg", "sshPort", "43101");
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiRegistryPort", "43099");
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiServerPort", "43444");
        assertEquals("precondition: the account 'nobody' can reach the distribution's scripts", 0,
                asNobody("test", "-r", home.resolve("bin/setenv").toString()).exit());
        karaf = start();
        awaitFile(home.resolve("etc/vamt-client.key"));
    }

    @AfterClass
    public static void killWhatIsLeft() throws Exception {
        if (karaf != null && karaf.isAlive()) {
            RestartIT.killTree(karaf);
        }
    }

    record Result(int exit, String output) {
        List<String> lines() {
            List<String> out = new ArrayList<>();
            for (String l : output.split("\n")) {
                // the JVM launcher's note, not the command's output
                if (!l.isBlank() && !l.contains("JAVA_HOME not set")) {
                    out.add(l.replaceAll("\u001B\\[[0-9;]*m", ""));
                }
            }
            return out;
        }
    }

    /** Runs a command with standard input at its end (as from a script or cron), output and errors merged. */
    static Result run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("did not end within 120 s: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static Result asNobody(String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "nobody", "--"));
        c.addAll(Arrays.asList(command));
        return run(c);
    }

    static Result client(String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of(home.resolve("bin/client").toString()));
        c.addAll(Arrays.asList(command));
        return run(c);
    }

    @Test
    public void a_binClientPrintsTheVmsWithNoFileEditedAndNoTerminal() throws Exception {
        Result list = client("vamt:vm-list");
        assertEquals(list.output(), 0, list.exit());
        for (String vm : DEMO_VMS) {
            assertTrue("bin/client vamt:vm-list shows " + vm + ": " + list.output(), list.output().contains(vm));
        }
    }

    @Test
    public void b_anotherLocalUserCannotStopVamt() throws Exception {
        Result stop = asNobody(home.resolve("bin/stop").toString());
        assertNotEquals("bin/stop as nobody: " + stop.output(), 0, stop.exit());
        assertFalse("vAMT was stopped by another local user", karaf.waitFor(3, TimeUnit.SECONDS));
        assertEquals(200, new WsmanClient(DESKTOP_01, PORT).send(WsmanClient.identify(), null).statusCode());
    }

    @Test
    public void c_anotherLocalUserReadsNothingUnderEtcOrData() throws Exception {
        client("vamt:vm-list");   // a first SSH login: Karaf makes etc/host.key
        // nothing at all, the shutdown port file and command (etc/config.properties) included
        Result readable = asNobody("find", home.resolve("etc").toString(), home.resolve("data").toString(),
                "-type", "f", "-readable");
        assertEquals("files under etc/ and data/ another local user can read", List.of(),
                readable.lines().stream().filter(l -> !l.startsWith("find:")).toList());
        for (String secret : SECRET_FILES) {
            Path f = home.resolve(secret);
            assertTrue(secret + " exists after the first start", Files.isRegularFile(f));
            assertEquals(secret, "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            assertNotEquals(secret + " is readable by nobody", 0, asNobody("cat", f.toString()).exit());
        }
        for (String dir : List.of("etc", "data")) {
            assertEquals(dir, "rwx------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(dir))));
        }
    }

    @Test
    public void d_adminResetGivesAPasswordThatLogsInAndIsNotLogged() throws Exception {
        Result reset = client("vamt:admin-reset");
        assertEquals(reset.output(), 0, reset.exit());
        Matcher m = Pattern.compile("New password of user 'admin': (\\S+)").matcher(reset.output());
        assertTrue(reset.output(), m.find());
        String newPassword = m.group(1);
        adminPassword = newPassword;
        String generalSettings = WsmanClient.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
                "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings", "");
        assertEquals("the new password logs in over WS-Management", 200,
                new WsmanClient(DESKTOP_01, PORT, "admin", newPassword).post(generalSettings).statusCode());
        assertEquals("the old one no longer does", 401,
                new WsmanClient(DESKTOP_01, PORT, "admin", WsmanClient.PASSWORD).post(generalSettings).statusCode());
        String log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertFalse("the generated admin password is not logged", log.contains(newPassword));
        assertTrue("the reset is logged without it", log.contains("Password of user admin reset from the local shell"));

        // a password given on the command line: Karaf names the command's thread after the line
        String given = "Given-Passw0rd#9";
        Result passwd = client("vamt:user-passwd -p '" + given + "' admin"); // one argument: bin/client has a -p of its own
        assertEquals(passwd.output(), 0, passwd.exit());
        adminPassword = given;
        assertEquals("the given password logs in", 200,
                new WsmanClient(DESKTOP_01, PORT, "admin", given).post(generalSettings).statusCode());
        log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertTrue("the change is logged", log.contains("Password of user admin changed"));
        assertFalse("a password given with -p is not logged (thread name)", log.contains(given));
    }

    @Test
    public void e_badInputIsOneLineForTheOperatorAndNoErrorStackTraceInTheLog() throws Exception {
        Result bad = client("vamt:power", "no-such-vm", "on");
        assertNotEquals(bad.output(), 0, bad.exit());
        assertEquals("one line: " + bad.output(), 1, bad.lines().size());
        assertTrue(bad.output(), bad.lines().get(0).contains("no VM named 'no-such-vm'"));
        String log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertFalse("a command refused for bad input is not an ERROR in the log",
                log.contains("Exception caught while executing command"));
        assertFalse("no stack trace of it either", log.contains("IllegalArgumentException: no VM named"));
    }

    @Test
    public void f_theConsentCodeIsShownInTheShellAndNeverLogged() throws Exception {
        String optIn = "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService";
        String started = new WsmanClient(DESKTOP_01, PORT, "admin", adminPassword).post(RestartIT.invoke(optIn, "StartOptIn", "")).body();
        assertEquals(started, "0", RestartIT.value(started, "ReturnValue"));
        Result shown = client("vamt:consent-code", "desktop-01");
        assertEquals(shown.output(), 0, shown.exit());
        Matcher m = Pattern.compile("desktop-01\\s*\\|\\s*(\\d{6})\\s*\\|").matcher(shown.output());
        assertTrue("the waiting code: " + shown.output(), m.find());
        String log = Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        assertTrue("the request is logged", log.contains("user consent code requested by admin"));
        assertFalse("the code is not", log.contains(m.group(1)));
    }

    @Test
    public void z_theOwnersBinStopStillStopsVamt() throws Exception {
        Result ownerStop = run(List.of(home.resolve("bin/stop").toString()));
        assertEquals(ownerStop.output(), 0, ownerStop.exit());
        assertTrue("bin/stop as the owner stops vAMT", karaf.waitFor(90, TimeUnit.SECONDS));
    }

    private static void awaitFile(Path f) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!Files.exists(f) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
    }

    private static Process start() throws Exception {
        return RestartIT.startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD));
    }
}
