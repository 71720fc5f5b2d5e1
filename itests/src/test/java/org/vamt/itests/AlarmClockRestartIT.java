package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Test;

/**
 * Issue 19: an AMT alarm survives a restart of vAMT. The distribution runs on the real hypervisor
 * (libvirt qemu:///system, started by {@code tools/real-hypervisor}), where a VM's state lives
 * with the domain, unlike libvirt's test driver, which lives and dies with vAMT's process. An
 * alarm is set on a shut-off domain of this test, vAMT is killed ({@code kill -9}) and started
 * again, and the domain must be running within 5 s of the alarm's time (not before; QEMU's own
 * start is in those seconds);
 * IPS_HostBootReason then says "alarm".
 *
 * <p>Own copy of the distribution ({@code target/alarm-restart}); ports 55992 (55993 TLS), 55181,
 * 55101, 55099/55444. When the hypervisor cannot start, the
 * test fails saying what is missing.
 */
public class AlarmClockRestartIT {
    static final int PORT = 55992;
    static final String ALARM_SERVICE = RealGuestIT.AMT + "AMT_AlarmClockService";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    /** A domain without boot media: SeaBIOS runs, which is all this test needs (libvirt "running"). */
    static final RealGuest GUEST = new RealGuest("alarm", "704", "52:54:00:a7:07:04");
    /** "Within a few seconds": the alarm clock's 0.5 s tick plus QEMU's start on a loaded host. */
    static final long LATE_MS = 5000;
    Process karaf;

    @After
    public void cleanUp() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
        GUEST.remove();
    }

    @Test
    public void anAlarmSetBeforeVamtIsKilledAndRestartedPowersTheDomainOnAtItsTime() throws Exception {
        RealGuest.startHypervisor();
        GUEST.define("<domain type='qemu'><name>" + GUEST.name + "</name><uuid>" + GUEST.uuid + "</uuid>"
                + "<memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>");
        assertEquals("shut off", GUEST.domstate());

        Path home = RestartIT.freshCopyOfTheDistribution("alarm-restart", PORT, PORT + 1, 55181, 55101, 55099, 55444);
        DistributionFiles.setProperty(home, "etc/org.vamt.libvirt.cfg", "uri", RealGuest.URI);
        Map<String, String> env = Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD);
        karaf = RestartIT.startKaraf(home, PORT, env);
        WsmanClient client = new WsmanClient(address(home), PORT);
        client.awaitStatus(client.get(ALARM_SERVICE, null), 200);   // the providers start after the listener

        long due = (System.currentTimeMillis() / 1000 + 90) * 1000;   // room for a kill and a start (~40 s measured under load)
        String answer = RealGuestIT.invoke(client, ALARM_SERVICE, "AddAlarm", null,
                "<r:AlarmTemplate xmlns:s=\"" + IPS + "IPS_AlarmClockOccurrence\"><s:InstanceID>after-kill</s:InstanceID>"
                + "<s:StartTime><p:Datetime xmlns:p=\"http://schemas.dmtf.org/wbem/wscim/1/common\">"
                + Instant.ofEpochMilli(due) + "</p:Datetime></s:StartTime>"
                + "<s:DeleteOnCompletion>true</s:DeleteOnCompletion></r:AlarmTemplate>");
        assertEquals(answer, 0, RealGuestIT.returnValue(answer));

        RestartIT.killTree(karaf);                  // kill -9: nothing of the alarm clock's memory survives
        karaf = RestartIT.startKaraf(home, PORT, env);
        client = new WsmanClient(address(home), PORT);
        client.awaitStatus(client.get(ALARM_SERVICE, null), 200);
        assertTrue("vAMT took too long to restart to test the alarm: " + (due - System.currentTimeMillis())
                + " ms left", System.currentTimeMillis() < due - 2000);
        String listed = RealGuestIT.enumerate(client, IPS + "IPS_AlarmClockOccurrence");
        assertEquals(listed, List.of("after-kill"), RealGuestIT.values(listed, "InstanceID"));

        while (System.currentTimeMillis() < due - 1000) {
            assertEquals("off until the alarm's time", "shut off", GUEST.domstate());
            Thread.sleep(200);
        }
        GUEST.awaitState("running", due + LATE_MS - System.currentTimeMillis());
        long late = System.currentTimeMillis() - due;
        System.out.printf("AlarmClockRestartIT: the domain ran %d ms after the alarm's time%n", late);
        assertTrue("running " + late + " ms after the alarm's time", late <= LATE_MS);
        // the start event is recorded as it arrives from libvirt, just after the domain runs
        long deadline = System.currentTimeMillis() + 5000;
        String reason;
        do {
            reason = RealGuestIT.post(client, client.get(IPS + "IPS_HostBootReason", null), 200);
        } while (!RealGuestIT.values(reason, "Reason").equals(List.of("3")) && System.currentTimeMillis() < deadline
                && sleep(100));
        assertEquals(reason, List.of("3"), RealGuestIT.values(reason, "Reason"));
        assertEquals(reason, List.of("7"), RealGuestIT.values(reason, "PreviousSxState"));
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    /** The endpoint address vAMT gave this test's domain (other domains of qemu:///system get theirs too). */
    static String address(Path home) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            String a = DistributionFiles.endpointMap(home).get(GUEST.uuid);
            if (a != null) {
                return a;
            }
            assertTrue("no endpoint for " + GUEST.name + " in " + home.resolve("data/log/karaf.log"),
                    System.currentTimeMillis() < deadline);
            Thread.sleep(200);
        }
    }
}
