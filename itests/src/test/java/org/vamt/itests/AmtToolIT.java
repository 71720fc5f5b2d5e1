package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
import org.osgi.framework.BundleContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineState;
import org.vamt.endpoints.Endpoints;

/**
 * Debian's real {@code amttool} (a Perl SOAP::Lite client of AMT 1-8's SOAP interface) against
 * the distribution's demo VMs: what {@code info} prints is what WS-Management reports, power
 * commands really change the VM, and a wrong password gets nothing, then locks the user out.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AmtToolIT {
    /** amttool takes host:port; a port of its own keeps this test clear of a vAMT running on 16992. */
    static final int PORT = 59992;
    static final String AMTTOOL = "/usr/bin/amttool";
    static final int LOCKOUT_SECONDS = 8;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("amttool", PORT, "59181", "59101", "59099", "59444"),
            editConfigurationFilePut("etc/org.vamt.wsman.cfg", "firstAddress", "127.0.64.1"),
            editConfigurationFilePut("etc/org.vamt.security.cfg", "lockoutSeconds", String.valueOf(LOCKOUT_SECONDS)));
    }

    record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs amttool with {@code password} in AMT_PASSWORD, {@code answer} on stdin (the [y/N] question). */
    static Run amttoolWithPassword(String password, String answer, String... args) throws Exception {
        assertTrue(AMTTOOL + " is missing: apt-get install amtterm libsoap-lite-perl (./vamt test does)",
                Files.isExecutable(Paths.get(AMTTOOL)));
        String[] command = new String[args.length + 1];
        command[0] = AMTTOOL;
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("AMT_PASSWORD", password);
        pb.environment().remove("AMT_DEBUG");
        Path out = Files.createTempFile("amttool", ".out");
        Path err = Files.createTempFile("amttool", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(answer.getBytes(StandardCharsets.UTF_8));
        } catch (IOException exitedEarly) {
            // amttool did not read stdin (info): nothing to answer
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("amttool " + String.join(" ", args) + " did not finish within 60 s");
        }
        Run run = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    private static Run amttool(String answer, String... args) throws Exception {
        return amttoolWithPassword(WsmanClient.PASSWORD, answer, args);
    }

    private Endpoints.Endpoint endpoint(String vmName) {
        Endpoints endpoints = context.getService(context.getServiceReference(Endpoints.class));
        return endpoints.endpoints().stream().filter(e -> e.name().equals(vmName)).findFirst()
                .orElseThrow(() -> new AssertionError("no endpoint for " + vmName));
    }

    private MachineState state(String uuid) throws Exception {
        Hypervisor hypervisor = context.getService(context.getServiceReference(Hypervisor.class));
        return hypervisor.machine(uuid).orElseThrow().state();
    }

    /** amttool's address argument for a VM; waits until its legacy services answer (SCR starts them late). */
    private String target(String vmName) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            String host = null;
            try {
                host = endpoint(vmName).address() + ":" + PORT;
                Run info = amttool("", host, "info");
                if (info.out().contains("AMT version:  1")) {
                    return host;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("amttool info on " + host + " never answered: " + info);
                }
            } catch (AssertionError | RuntimeException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(500);
        }
    }

    private static String line(String output, String label) {
        Matcher m = Pattern.compile("(?m)^[ \\t]*" + Pattern.quote(label) + "[ \\t]*(.*)$").matcher(output);
        assertTrue("no '" + label + "' line in:\n" + output, m.find());
        return m.group(1).trim();
    }

    private static String wsmanValue(String xml, String property) {
        Matcher m = Pattern.compile(":" + property + ">([^<]*)<").matcher(xml);
        return m.find() ? m.group(1) : "";
    }

    @Test
    public void infoShowsWhatWsmanReports() throws Exception {
        String host = target("desktop-01");
        Run info = amttool("", host, "info");
        assertEquals(info.toString(), 0, info.exitCode());

        WsmanClient wsman = new WsmanClient(endpoint("desktop-01").address(), PORT);
        String identity = wsman.post(wsman.get(WsmanClient.CIM + "CIM_SoftwareIdentity",
                "<w:Selector Name=\"InstanceID\">AMT</w:Selector>")).body();
        String settings = wsman.post(wsman.get(
                "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings", null)).body();
        String version = wsmanValue(identity, "VersionString");
        assertFalse(identity, version.isEmpty());
        assertEquals(info.toString(), version, line(info.out(), "AMT version:"));
        assertEquals(info.toString(), wsmanValue(settings, "HostName") + "." + wsmanValue(settings, "DomainName"),
                line(info.out(), "Hostname:"));
        assertTrue(info.toString(), line(info.out(), "Hostname:").startsWith("desktop-01"));
        assertEquals(info.toString(), "S0", line(info.out(), "Powerstate:"));
        assertEquals(info.toString(), "157", line(info.out(), "IanaOemNumber"));   // 343, printed in hex
        assertEquals(info.toString(), "powercycle powerdown powerup reset",
                line(info.out(), "SystemCapabilitiesSupported"));
        assertEquals(info.toString(), "PXE-boot HD-boot cd-boot", line(info.out(), "SpecialCommandsSupported"));

        // the demo's build-server is shut off
        Run off = amttool("", target("build-server"), "info");
        assertEquals(off.toString(), "S5 (soft-off)", line(off.out(), "Powerstate:"));
        assertTrue(off.toString(), line(off.out(), "Hostname:").startsWith("build-server"));
    }

    @Test
    public void powerCommandsChangeTheVm() throws Exception {
        String host = target("desktop-02");
        String uuid = endpoint("desktop-02").uuid();
        assertEquals(MachineState.RUNNING, state(uuid));

        Run cancelled = amttool("n\n", host, "powerdown");
        assertTrue(cancelled.toString(), cancelled.out().contains("canceled"));
        assertEquals("answering n changes nothing", MachineState.RUNNING, state(uuid));

        Run down = amttool("y\n", host, "powerdown");
        assertTrue(down.toString(), down.out().contains("host desktop-02., powerdown [y/N] ?"));
        assertTrue(down.toString(), down.out().contains("result: pt_status: success"));
        assertEquals(MachineState.SHUT_OFF, state(uuid));
        assertEquals("S5 (soft-off)", line(amttool("", host, "info").out(), "Powerstate:"));

        Run again = amttool("y\n", host, "powerdown");
        assertTrue("an off VM cannot power down: AMT's NOT_READY (2)\n" + again,
                again.out().contains("result: unknown pt_status code: 0x2"));

        Run up = amttool("y\n", host, "powerup");
        assertTrue(up.toString(), up.out().contains("result: pt_status: success"));
        assertEquals(MachineState.RUNNING, state(uuid));
        assertEquals("S0", line(amttool("", host, "info").out(), "Powerstate:"));

        Run reset = amttool("y\n", host, "reset");
        assertTrue(reset.toString(), reset.out().contains("result: pt_status: success"));
        assertEquals(MachineState.RUNNING, state(uuid));

        Run cycle = amttool("y\n", host, "powercycle");
        assertTrue(cycle.toString(), cycle.out().contains("result: pt_status: success"));
        assertEquals(MachineState.RUNNING, state(uuid));

        Run bios = amttool("y\n", host, "reset", "bios");
        assertTrue("BIOS setup is not offered, so not done\n" + bios,
                bios.out().contains("result: pt_status: unsupported boot_option"));
        assertEquals(MachineState.RUNNING, state(uuid));
    }

    @Test
    public void wrongPasswordGetsNothingAndLocksTheUserOut() throws Exception {
        String host = target("kiosk");
        String uuid = endpoint("kiosk").uuid();
        MachineState before = state(uuid);
        assertTrue(before.isOn());

        Run info = amttoolWithPassword("Wr0ng-Passw0rd!", "", host, "info");
        assertEquals(info.toString(), "", line(info.out(), "AMT version:"));
        assertEquals(info.toString(), ".", line(info.out(), "Hostname:"));
        Run down = amttoolWithPassword("Wr0ng-Passw0rd!", "y\n", host, "powerdown");
        assertTrue(down.toString(), down.out().contains("result: soap failure"));
        assertEquals("a refused powerdown leaves the VM on", before, state(uuid));

        // more than maxFailedLogins (5) bad answers in a row: even the right password is refused for a while
        Run locked = amttool("", host, "info");
        assertEquals(locked.toString(), "", line(locked.out(), "AMT version:"));

        Thread.sleep((LOCKOUT_SECONDS + 1) * 1000L);
        Run after = amttool("", host, "info");
        assertTrue(after.toString(), line(after.out(), "AMT version:").startsWith("1"));
        assertTrue(after.toString(), line(after.out(), "Hostname:").startsWith("kiosk"));
    }
}
