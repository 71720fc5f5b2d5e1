package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Issue 19: the AMT alarm clock with the consoles' own client code. MeshCentral's AMT stack
 * (amt.js AMT_AlarmClockService_AddAlarm, MeshCommander's alarm list and delete) and Intel DMT's
 * wsman-messages (AlarmClockService.AddAlarm, AlarmClockOccurrence) read the alarm clock and set an
 * alarm on the shut-off demo VM build-server (127.0.0.2): the VM must be powered on within a few
 * seconds of the alarm's time (not before), the alarm deleted on completion, and IPS_HostBootReason
 * must then say "alarm". A third test sets an alarm, restarts the alarm bundle (its scheduler and
 * everything it held in memory go; the alarm is the VM's state) and sees the alarm fire; a fourth
 * powers the VM on as MeshCentral does and IPS_HostBootReason says "remote control".
 *
 * <p>On libvirt's test driver the hypervisor lives inside vAMT's process, so a whole-JVM restart
 * would also forget the VMs; the restart here is the alarm bundle's (bundle:restart). Own copy of
 * the distribution ({@code target/alarm}); ports 54992 (54993 TLS), 54181, 54101, 54099/54444.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class AlarmClockIT {
    static final int PORT = 54992;
    static final String BUILD_SERVER = "127.0.0.2";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    /** How late after its time an alarm may power the VM on ("within a few seconds"). */
    static final long LATE_MS = 3000;
    static Path home;
    static Process karaf;

    @BeforeClass
    public static void start() throws Exception {
        home = RestartIT.freshCopyOfTheDistribution("alarm", PORT, PORT + 1, 54181, 54101, 54099, 54444);
        // a shell user for bin/client (the distribution ships none)
        Files.writeString(home.resolve("etc/users.properties"), "karaf = karaf,_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n",
                java.nio.file.StandardOpenOption.APPEND);
        karaf = RestartIT.startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD));
        WsmanClient c = new WsmanClient(BUILD_SERVER, PORT);   // the providers start after the listener
        c.awaitStatus(c.get(RealGuestIT.AMT + "AMT_AlarmClockService", null), 200);
    }

    @AfterClass
    public static void stop() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
    }

    private static List<String> client(String script, String... steps) throws Exception {
        return RealClientsIT.runClient("build-server", script, BUILD_SERVER, PORT, steps);
    }

    /** PowerState of build-server from CIM_AssociatedPowerManagementService. */
    private static int powerState() throws Exception {
        WsmanClient c = new WsmanClient(BUILD_SERVER, PORT);
        HttpResponse<String> r = c.post(c.enumerateAll(WsmanClient.CIM + "CIM_AssociatedPowerManagementService"));
        Matcher m = Pattern.compile("<[\\w]+:PowerState>(\\d+)<").matcher(r.body());
        assertTrue(r.body(), m.find());
        return Integer.parseInt(m.group(1));
    }

    /**
     * Polls the power state every 100 ms until the VM is on; returns when it was first seen on
     * (epoch ms). Fails if it is on before {@code notBefore} or still off {@code LATE_MS} after {@code due}.
     */
    private static long poweredOnAt(long notBefore, long due) throws Exception {
        while (true) {
            long now = System.currentTimeMillis();
            int state = powerState();
            if (state == 2) {
                assertTrue("powered on " + (notBefore - now) + " ms before the alarm's time", now >= notBefore);
                return now;
            }
            assertTrue("still off (PowerState " + state + ") " + (now - due) + " ms after the alarm's time",
                    now <= due + LATE_MS);
            Thread.sleep(100);
        }
    }

    private static String bootReason() throws Exception {
        WsmanClient c = new WsmanClient(BUILD_SERVER, PORT);
        HttpResponse<String> r = c.post(c.get(IPS + "IPS_HostBootReason", null));
        assertEquals(r.body(), 200, r.statusCode());
        return r.body();
    }

    @Test
    public void a_meshCentralSetsAnAlarmThatPowersTheShutOffVmOn() throws Exception {
        List<String> before = client("meshcentral-session.js", "alarms", "power-state");
        assertTrue(before.get(0), before.get(0).contains("\"alarms\":[]"));
        assertTrue(before.get(0), before.get(0).contains("\"Name\":\"Intel(r) AMT Alarm Clock Service\""));
        assertEquals(before.get(1), "8", RealClientsIT.field(before.get(1), "PowerState"));

        List<String> added = client("meshcentral-session.js", "add-alarm:mc-wake:6", "alarms");
        assertEquals(added.get(0), "0", RealClientsIT.field(added.get(0), "ReturnValue"));
        assertEquals(added.get(0), "mc-wake", RealClientsIT.field(added.get(0), "selector"));
        long due = Long.parseLong(RealClientsIT.field(added.get(0), "startMs"));
        String start = RealClientsIT.field(added.get(0), "StartTime");
        assertTrue(added.get(1), added.get(1).contains("\"InstanceID\":\"mc-wake\",\"ElementName\":\"mc-wake\",\"StartTime\":\""
                + start + "\",\"Interval\":null,\"DeleteOnCompletion\":true"));

        long on = poweredOnAt(due - 1000, due);
        System.out.printf("AlarmClockIT: MeshCentral's alarm powered build-server on %d ms after its time%n", on - due);
        List<String> after = client("meshcentral-session.js", "wait-power:2", "alarms");
        assertTrue("deleted on completion: " + after.get(1), after.get(1).contains("\"alarms\":[]"));
        String reason = bootReason();
        assertTrue(reason, reason.matches("(?s).*<\\w+:PreviousSxState>7</\\w+:PreviousSxState>\\s*<\\w+:Reason>3</.*"));

        client("meshcentral-session.js", "power:8", "wait-power:8");
    }

    @Test
    public void b_dmtSetsAnAlarmThatPowersTheShutOffVmOn() throws Exception {
        List<String> classes = client("dmt-session.js", "classes");
        assertTrue(classes.get(0), classes.get(0).contains("\"AMT_AlarmClockService\":{\"items\":1,\"get\":200}"));
        assertEquals(8, powerState());

        List<String> added = client("dmt-session.js", "add-alarm:dmt-wake:6", "add-alarm:dmt-weekly:86400:10080",
                "alarms");
        assertEquals(added.get(0), "0", RealClientsIT.field(added.get(0), "ReturnValue"));
        assertEquals(added.get(0), "dmt-wake", RealClientsIT.field(added.get(0), "selector"));
        assertEquals(added.get(1), "0", RealClientsIT.field(added.get(1), "ReturnValue"));
        long due = Long.parseLong(RealClientsIT.field(added.get(0), "startMs"));
        // what DMT decodes (the order AMT writes them in is the golden exchanges' to check)
        assertTrue(added.get(2), added.get(2).contains("\"InstanceID\":\"dmt-wake\""));
        assertTrue(added.get(2), added.get(2).contains("\"InstanceID\":\"dmt-weekly\""));
        assertTrue(added.get(2), added.get(2).contains("\"Interval\":\"P7DT0H0M\""));

        long on = poweredOnAt(due - 1000, due);
        System.out.printf("AlarmClockIT: DMT's alarm powered build-server on %d ms after its time%n", on - due);
        List<String> after = client("dmt-session.js", "alarms", "delete-alarm:dmt-weekly", "alarms");
        assertTrue(after.get(0), !after.get(0).contains("dmt-wake") && after.get(0).contains("dmt-weekly"));
        assertTrue(after.get(2), after.get(2).contains("\"alarms\":[]"));
        assertTrue(bootReason().matches("(?s).*<\\w+:Reason>3</.*"));

        client("dmt-session.js", "power:8", "wait-power:8");
    }

    @Test
    public void c_anAlarmSetBeforeARestartFiresAfterIt() throws Exception {
        assertEquals(8, powerState());
        List<String> added = client("dmt-session.js", "add-alarm:restart:25");
        long due = Long.parseLong(RealClientsIT.field(added.get(0), "startMs"));
        String restarted = shell("bundle:restart vamt-provider-alarm");
        assertTrue(restarted, !restarted.contains("Error"));
        assertTrue("the restart took too long to test the alarm: " + (due - System.currentTimeMillis()) + " ms left",
                System.currentTimeMillis() < due - 2000);
        // the class is back (the bundle carries it) and still lists the alarm
        WsmanClient c = new WsmanClient(BUILD_SERVER, PORT);
        c.awaitStatus(c.get(RealGuestIT.AMT + "AMT_AlarmClockService", null), 200);
        List<String> alarms = client("dmt-session.js", "alarms");
        assertTrue(alarms.get(0), alarms.get(0).contains("\"InstanceID\":\"restart\""));
        long on = poweredOnAt(due - 1000, due);
        System.out.printf("AlarmClockIT: after the restart the alarm powered build-server on %d ms after its time%n",
                on - due);
        client("dmt-session.js", "power:8", "wait-power:8");
    }

    @Test
    public void d_aRemotePowerOnIsTheBootReasonRemoteControl() throws Exception {
        assertEquals(8, powerState());
        client("meshcentral-session.js", "power:2", "wait-power:2");
        long deadline = System.currentTimeMillis() + 5000;
        String reason = bootReason();
        while (!reason.matches("(?s).*<\\w+:Reason>2</.*") && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);   // the start event is recorded as it arrives
            reason = bootReason();
        }
        assertTrue(reason, reason.matches("(?s).*<\\w+:PreviousSxState>7</\\w+:PreviousSxState>\\s*<\\w+:Reason>2</.*"));
        client("meshcentral-session.js", "power:8", "wait-power:8");
    }

    /** One shell command through bin/client (ssh, batch mode). */
    static String shell(String command) throws Exception {
        Process p = new ProcessBuilder(home.resolve("bin/client").toString(), "-a", "54101", "-u", "karaf", "-p",
                "karaf", "-b").directory(home.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(command + " did not finish", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(command + ": " + out, 0, p.exitValue());
        return out;
    }
}
