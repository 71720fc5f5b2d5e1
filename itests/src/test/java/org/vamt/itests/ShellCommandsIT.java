package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.apache.karaf.shell.support.CommandException;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Every vamt:* shell command in the real distribution, output asserted; users made in the shell
 * are checked against the WS-Management endpoints (realms, per-VM grants).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCommandsIT {
    static final int PORT = 56992;

    @Inject
    SessionFactory sessionFactory;

    @Configuration
    public Option[] config() {
        return KarafContainer.options("shell", PORT, 5);
    }

    /** Runs a command as the console would; returns its output, or throws what it threw. */
    private String run(String command) throws Exception {
        return KarafShell.execute(sessionFactory, command);
    }

    private String awaitVmList() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                String out = run("vamt:vm-list");
                if (out.contains("http://127.0.0.5:" + PORT + "/wsman")) {
                    return out;
                }
            } catch (Exception notYet) {
                // commands or services still starting
            }
            if (System.currentTimeMillis() > deadline) {
                fail("vamt:vm-list did not list the demo VMs within 60 s");
            }
            Thread.sleep(250);
        }
    }

    @Test
    public void vmAndEndpointCommandsShowTheDemoVms() throws Exception {
        String vms = awaitVmList();
        assertTrue(vms, vms.contains("build-server") && vms.contains("desktop-01") && vms.contains("kiosk"));
        assertTrue(vms, vms.contains("http://127.0.0.3:" + PORT + "/wsman"));
        String endpoints = run("vamt:endpoint-list");
        assertTrue(endpoints, endpoints.contains("Digest:") && endpoints.contains("desktop-02"));
        String moved = run("vamt:endpoint-set desktop-02 127.0.0.44");
        assertTrue(moved, moved.contains("now answers at http://127.0.0.44:" + PORT + "/wsman"));
        WsmanClient atNewAddress = new WsmanClient("127.0.0.44", PORT);
        assertEquals(200, atNewAddress.send(WsmanClient.identify(), null).statusCode());
        assertTrue(run("vamt:endpoint-list").contains("http://127.0.0.44:" + PORT + "/wsman"));
        try {
            run("vamt:endpoint-set desktop-02 127.0.0.3");
            fail("an address in use by another VM must be refused");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("endpoint of VM desktop-01"));
        }
        String info = run("vamt:vm-info kiosk");
        assertTrue(info, info.contains("Name:      kiosk") && info.contains("NIC:") && info.contains("Realm:"));
        String providers = run("vamt:provider-list");
        assertTrue(providers, providers.contains("CIM_PowerManagementService") && providers.contains("local"));
        assertTrue(providers, providers.contains("AMT_AuthorizationService"));
        assertTrue(providers, providers.matches("(?s).*vAMT \\S+, answering as Intel\\(R\\) AMT \\d+\\.\\d+\\.\\d+\\.\\d+\\R.*"));
        try {
            run("vamt:vm-info no-such-vm");
            fail("an unknown VM must be an error");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("no VM named 'no-such-vm'"));
        }
    }

    @Test
    public void usersMadeInTheShellGetTheirRealmsOnTheirVmsOnly() throws Exception {
        awaitVmList();
        String added = run("vamt:user-add --realm hardware-asset --vm desktop-01 --password V1ewer!pass viewer");
        assertTrue(added, added.contains("Added user viewer"));
        String list = run("vamt:user-list");
        assertTrue(list, list.contains("viewer") && list.contains("hardware-asset") && list.contains("desktop-01"));

        WsmanClient onDesktop = new WsmanClient("127.0.0.3", PORT, "viewer", "V1ewer!pass");
        assertEquals(200, onDesktop.post(onDesktop.get(WsmanClient.CIM + "CIM_Chassis", "")).statusCode());
        HttpResponse<String> denied = onDesktop.post(onDesktop.get(WsmanClient.CIM + "CIM_PowerManagementService", ""));
        assertEquals(400, denied.statusCode());
        assertTrue(denied.body(), denied.body().contains("AccessDenied"));
        WsmanClient onKiosk = new WsmanClient("127.0.0.5", PORT, "viewer", "V1ewer!pass");
        assertEquals(401, onKiosk.post(onKiosk.get(WsmanClient.CIM + "CIM_Chassis", "")).statusCode());

        assertTrue(run("vamt:user-grant --realm hardware-asset,remote-control viewer kiosk").contains("remote-control"));
        onKiosk = new WsmanClient("127.0.0.5", PORT, "viewer", "V1ewer!pass");
        assertEquals(200, onKiosk.post(onKiosk.get(WsmanClient.CIM + "CIM_PowerManagementService", "")).statusCode());

        assertTrue(run("vamt:user-passwd --password N3w-view!pass viewer").contains("changed"));
        WsmanClient newPassword = new WsmanClient("127.0.0.3", PORT, "viewer", "N3w-view!pass");
        assertEquals(200, newPassword.post(newPassword.get(WsmanClient.CIM + "CIM_Chassis", "")).statusCode());

        assertTrue(run("vamt:user-remove viewer").contains("Removed user viewer"));
        WsmanClient gone = new WsmanClient("127.0.0.3", PORT, "viewer", "N3w-view!pass");
        assertEquals(401, gone.post(gone.get(WsmanClient.CIM + "CIM_Chassis", "")).statusCode());
        try {
            run("vamt:user-add --password password weak");
            fail("a weak password must be refused");
        } catch (Exception expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("8-32 characters"));
        }
        try {
            run("vamt:user-remove admin");
            fail("the admin cannot be removed");
        } catch (Exception expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("cannot be removed"));
        }
    }

    @Test
    public void powerActionsAreLoggedAndAudited() throws Exception {
        awaitVmList();
        assertTrue(run("vamt:power build-server on").contains("on requested"));
        String running = run("vamt:vm-list");
        assertTrue(running, running.matches("(?s).*build-server\\s*\\|\\s*running.*"));
        assertTrue(run("vamt:power build-server off").contains("off requested"));
        String log = run("vamt:log build-server");
        assertTrue(log, log.contains("Event log of build-server") && log.contains("sensor type"));
        assertTrue(log, log.contains("power up  by shell:") && log.contains("power down  by shell:"));
        try {
            run("vamt:power build-server sideways");
            fail("an unknown action must be an error");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("unknown action 'sideways'"));
        }
    }

    @Test
    public void alarmsAreListedAddedDeletedAndPowerTheVmOn() throws Exception {
        awaitVmList();
        assertTrue(run("vamt:alarm kiosk").contains("VM kiosk has no alarm"));
        String added = run("vamt:alarm -i 1440 kiosk add morning 2035-06-01T06:30:00Z");
        assertTrue(added, added.contains("alarm morning added for 2035-06-01T06:30:00Z, every 1440 min"));
        String list = run("vamt:alarm kiosk list");
        assertTrue(list, list.contains("morning  next 2035-06-01T06:30:00Z  every P1DT0H0M"));
        try {
            run("vamt:alarm kiosk add morning +1h");
            fail("a second alarm with the same id must be refused");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("AMT return code 2058"));
        }
        try {
            run("vamt:alarm kiosk add past 2001-01-01T00:00:00Z");
            fail("a start in the past must be refused");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("AMT return code 36"));
        }
        assertTrue(run("vamt:alarm kiosk delete morning").contains("alarm morning deleted"));
        assertTrue(run("vamt:alarm kiosk").contains("VM kiosk has no alarm"));
        try {
            run("vamt:alarm kiosk delete morning");
            fail("deleting an unknown alarm must be an error");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("has no alarm 'morning'"));
        }

        // an alarm set in the shell really powers the shut-off VM on, and goes when asked to
        assertTrue(run("vamt:power kiosk off").contains("off requested"));
        assertTrue(run("vamt:alarm -d kiosk add wake +2s").contains("alarm wake added"));
        long deadline = System.currentTimeMillis() + 15_000;
        String vms = run("vamt:vm-list");
        while (!vms.matches("(?s).*kiosk\\s*\\|\\s*running.*") && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
            vms = run("vamt:vm-list");
        }
        assertTrue(vms, vms.matches("(?s).*kiosk\\s*\\|\\s*running.*"));
        assertTrue(run("vamt:alarm kiosk").contains("VM kiosk has no alarm"));
    }

    @Test
    public void theBuiltInWsmanClientTalksToAnyEndpoint() throws Exception {
        awaitVmList();
        String identify = run("vamt:wsman-identify 127.0.0.5:" + PORT);
        assertTrue(identify, identify.contains("AMT 16.1"));
        String get = run("vamt:wsman-get --password '" + WsmanClient.PASSWORD + "' 127.0.0.5:" + PORT + " AMT_GeneralSettings");
        assertTrue(get, get.contains("DigestRealm"));
        String processors = run("vamt:wsman-enumerate --password '" + WsmanClient.PASSWORD + "' 127.0.0.5:" + PORT
                + " CIM_Processor");
        assertTrue(processors, processors.contains("CIM_Processor") && processors.contains("EndOfSequence"));
        String time = run("vamt:wsman-invoke --password '" + WsmanClient.PASSWORD + "' 127.0.0.5:" + PORT
                + " AMT_TimeSynchronizationService GetLowAccuracyTimeSynch");
        assertTrue(time, time.contains("Ta0") && time.contains("<g:ReturnValue>0</g:ReturnValue>"));
        try {
            run("vamt:wsman-get --password wrong 127.0.0.5:" + PORT + " AMT_GeneralSettings");
            fail("a 401 must be an error");
        } catch (CommandException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("HTTP 401"));
        }
    }

    /** What tab offers after {@code line} (cursor at its end), as the console's completer computes it. */
    private java.util.List<String> complete(String line) throws Exception {
        String[] words = line.split(" ", -1);
        org.apache.karaf.shell.api.console.CommandLine commandLine =
                new org.apache.karaf.shell.support.parsing.CommandLineImpl(words, words.length - 1,
                        words[words.length - 1].length(), line.length(), line);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), ps, ps);
        try {
            String[] name = words[0].split(":");
            org.apache.karaf.shell.api.console.Command command = session.getRegistry().getCommands().stream()
                    .filter(c -> c.getScope().equals(name[0]) && c.getName().equals(name[1])).findFirst()
                    .orElseThrow(() -> new AssertionError("no command " + words[0]));
            java.util.List<String> candidates = new java.util.ArrayList<>();
            command.getCompleter(true).complete(session, commandLine, candidates);
            return candidates.stream().map(String::trim).toList();
        } finally {
            session.close();
        }
    }

    @Test
    public void tabCompletesVmsUsersEndpointTargetsAndServedClasses() throws Exception {
        awaitVmList();
        assertEquals(java.util.List.of("kiosk"), complete("vamt:vm-info ki"));
        assertTrue(complete("vamt:power desk").containsAll(java.util.List.of("desktop-01", "desktop-02")));
        assertEquals(java.util.List.of("reset"), complete("vamt:power kiosk res"));
        assertEquals(java.util.List.of("admin"), complete("vamt:user-passwd adm"));
        assertTrue(complete("vamt:wsman-get 127.0.0.").contains("127.0.0.5:" + PORT));
        java.util.List<String> classes = complete("vamt:wsman-get 127.0.0.5:" + PORT + " AMT_Gen");
        assertEquals(java.util.List.of("AMT_GeneralSettings"), classes);
        assertTrue(complete("vamt:wsman-enumerate 127.0.0.5:" + PORT + " CIM_").contains("CIM_Processor"));
    }
}
