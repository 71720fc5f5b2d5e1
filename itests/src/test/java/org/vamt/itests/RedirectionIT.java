package org.vamt.itests;

import javax.inject.Inject;
import org.vamt.endpoints.Endpoints;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.osgi.service.cm.ConfigurationAdmin;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The AMT redirection protocol against a real QEMU guest (libvirt qemu:///system, the busybox
 * guest of tools/real-hypervisor): Debian's amtterm logs in on the guest's serial console over
 * SOL and runs a command; MeshCentral's redirection client opens SOL and KVM (RFB handshake and
 * a framebuffer update from the guest's VGA display); wrong passwords are refused.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RedirectionIT {
    static final int WSMAN_PORT = 63992;
    static final int REDIRECTION_PORT = 63994;
    /** MeshCentral's web server and MPS for the SOL-through-CIRA test (loopback only). */
    static final int MC_PORT = 63443;
    static final int MPS_PORT = 63433;

    @Inject
    Endpoints endpoints;
    @Inject
    ConfigurationAdmin configurationAdmin;
    static final String DOMAIN = "vamt-it9-linux";
    static final String UUID = "5f1a0c3e-0000-4000-8000-000000000901";
    static final String RESOURCE = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_RedirectionService";

    @Configuration
    public Option[] config() {
        Path itests = Paths.get("").toAbsolutePath();
        return OptionUtils.combine(KarafContainer.options("redirection", WSMAN_PORT, "63181", "63101", "63099", "63444"),
                editConfigurationFilePut("etc/org.vamt.libvirt.cfg", "uri", "qemu:///system"),
                editConfigurationFilePut("etc/org.vamt.wsman.cfg", "firstAddress", "127.0.63.1"),
                editConfigurationFilePut("etc/org.vamt.redirection.cfg", "port", String.valueOf(REDIRECTION_PORT)),
                editConfigurationFilePut("etc/org.vamt.redirection.cfg", "tlsPort", String.valueOf(REDIRECTION_PORT + 1)),
                // Debian's amtterm 1.4 only knows user/password in clear
                editConfigurationFilePut("etc/org.vamt.redirection.cfg", "allowPlainAuth", "true"),
                systemProperty("vamt.itests.dir").value(itests.toString()),
                systemProperty("vamt.node.dir").value(System.getProperty("vamt.node.dir",
                        itests.resolve("src/test/node").toString())));
    }

    private static Path itests() {
        return Paths.get(System.getProperty("vamt.itests.dir"));
    }

    /**
     * Pax Exam runs the class's static hooks around every test method in the container, so the
     * guest is started once (when it is not running yet) and removed when the container stops.
     */
    @BeforeClass
    public static void startGuest() throws Exception {
        if (virsh("domstate", DOMAIN).output.contains("running")) {
            return;
        }
        Path tool = itests().resolveSibling("tools").resolve("real-hypervisor");
        Result started = run(List.of(tool.toString(), "start"), 900);
        if (started.exit != 0) {
            fail("tools/real-hypervisor start failed (" + started.exit + "): " + started.output);
        }
        removeGuest();
        Path xml = Files.createTempFile("vamt-it9", ".xml");
        Files.writeString(xml, DOMAIN_XML);
        Result defined = virsh("define", xml.toString());
        assertEquals("virsh define: " + defined.output, 0, defined.exit);
        Result start = virsh("start", DOMAIN);
        assertEquals("virsh start: " + start.output, 0, start.exit);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                removeGuest();
            } catch (Exception e) {
                // the container is going away; the next run removes a leftover guest first
            }
        }));
    }

    static void removeGuest() throws Exception {
        virsh("destroy", DOMAIN);
        virsh("undefine", DOMAIN);
    }

    /** The VM's endpoint address, once vAMT knows the VM; then its redirection listener is switched on. */
    private String endpointWithListener() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        // the endpoint map of vAMT, as the shell's endpoint-list reads it
        Optional<Endpoints.Endpoint> e = Optional.empty();
        while (System.currentTimeMillis() < deadline) {
            e = endpoints.endpoint(UUID);
            if (e.isPresent()) {
                break;
            }
            Thread.sleep(250);
        }
        assertTrue("vAMT has an endpoint for " + DOMAIN, e.isPresent());
        String host = e.get().address();
        // What MeshCentral does for a device with a policy: AMT_RedirectionService.ListenerEnabled = true.
        WsmanClient client = new WsmanClient(host, WSMAN_PORT);
        String put = listenerEnabledPut();
        HttpResponse<String> answer = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                answer = client.post(put);
                if (answer.statusCode() == 200) {
                    break;
                }
            } catch (IOException ex) {
                // the WS-Management listener is still starting
            }
            Thread.sleep(250);
        }
        assertEquals("Put ListenerEnabled: " + (answer == null ? "no answer" : answer.body()), 200,
                answer == null ? 0 : answer.statusCode());
        assertTrue(answer.body(), answer.body().contains("<g:ListenerEnabled>true</g:ListenerEnabled>"));
        return host;
    }

    @Test
    public void amttermLogsInOnTheGuestSerialConsoleAndRunsACommand() throws Exception {
        String host = endpointWithListener();
        // amtterm wants a terminal: script(1) gives it a pty; the password travels in AMT_PASSWORD.
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec",
                "amtterm -u admin " + host + " " + REDIRECTION_PORT, "/dev/null").redirectErrorStream(true);
        pb.environment().put("AMT_PASSWORD", WsmanClient.PASSWORD);
        pb.environment().put("TERM", "dumb");
        Process amtterm = pb.start();
        Transcript t = new Transcript(amtterm.getInputStream());
        OutputStream keys = amtterm.getOutputStream();
        try {
            t.await(s -> s.contains("use ^] to escape"), 60, "amtterm connected");
            rootShell(t, keys, "SOL");
            type(keys, "echo amtterm-$((6*7)) on $(hostname)\r");
            t.await(s -> s.contains("amtterm-42 on vamt-guest"), 30, "command output");
            // a hard reset of the VM: the same SOL session shows the guest booting again
            int boots = t.count("vamt-guest: booted in");
            Result reset = virsh("reset", DOMAIN);
            assertEquals("virsh reset: " + reset.output, 0, reset.exit);
            t.await(s -> Transcript.count(s, "vamt-guest: booted in") > boots, 90, "the guest booting after the reset");
            t.await(s -> s.lastIndexOf("login:") > s.lastIndexOf("vamt-guest: booted in"), 60, "a login prompt after the reset");
            int relogin = t.toString().length();
            type(keys, "root\r");
            t.await(s -> s.indexOf("/root #", relogin) >= 0, 30, "shell prompt after the reset");
            int mark = t.toString().length();
            type(keys, "echo after-reset-$((7*6))\r");
            t.await(s -> s.substring(Math.min(mark, s.length())).contains("after-reset-42"), 30, "output after the reset");
            type(keys, "\035");   // ^] ends amtterm
            assertTrue("amtterm exits on ^]", amtterm.waitFor(10, TimeUnit.SECONDS));
        } finally {
            amtterm.destroyForcibly();
            Files.writeString(itests().resolve("target/redirection-amtterm-transcript.txt"), t.toString());
            System.out.println("---- amtterm transcript ----\n" + t + "\n----");
        }
    }

    @Test
    public void amttermWithAWrongPasswordIsRefused() throws Exception {
        String host = endpointWithListener();
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec",
                "amtterm -u admin " + host + " " + REDIRECTION_PORT, "/dev/null").redirectErrorStream(true);
        pb.environment().put("AMT_PASSWORD", "Wrong-Passw0rd#");
        Process amtterm = pb.start();
        Transcript t = new Transcript(amtterm.getInputStream());
        try {
            assertTrue("amtterm gives up", amtterm.waitFor(30, TimeUnit.SECONDS));
            assertFalse(t.toString(), t.toString().contains("use ^] to escape"));
            assertTrue(t.toString(), t.toString().contains("authentication"));
        } finally {
            amtterm.destroyForcibly();
        }
    }

    @Test
    public void meshCentralOpensSolAndKvmAndIsRefusedWithAWrongPassword() throws Exception {
        String host = endpointWithListener();
        Path node = Paths.get(System.getProperty("vamt.node.dir"));
        Result r = run(List.of("node", node.resolve("meshcentral-redirection.js").toString(), host,
                String.valueOf(REDIRECTION_PORT), "admin", WsmanClient.PASSWORD, "refused:sol", "sol", "kvm"), 240);
        System.out.println("---- MeshCentral redirection ----\n" + r.output + "\n----");
        Files.writeString(itests().resolve("target/redirection-meshcentral.txt"), r.output);
        assertEquals(r.output, 0, r.exit);
        String[] lines = r.output.lines().filter(l -> l.startsWith("{")).toArray(String[]::new);
        assertEquals(r.output, 3, lines.length);
        assertTrue(lines[0], lines[0].contains("\"step\":\"refused:sol\",\"ok\":true"));
        assertTrue(lines[1], lines[1].contains("\"step\":\"sol\",\"ok\":true") && lines[1].contains("mc-sol-42"));
        assertTrue(lines[2], lines[2].contains("\"step\":\"kvm\",\"ok\":true"));
        assertTrue(lines[2], lines[2].matches(".*\"width\":[1-9][0-9]*,\"height\":[1-9][0-9]*.*"));
    }

    @Test
    public void meshCentralOpensSolOverTls() throws Exception {
        String host = endpointWithListener();
        Path node = Paths.get(System.getProperty("vamt.node.dir"));
        Result r = run(List.of("node", node.resolve("meshcentral-redirection.js").toString(), "--tls", host,
                String.valueOf(REDIRECTION_PORT + 1), "admin", WsmanClient.PASSWORD, "sol"), 120);
        System.out.println("---- MeshCentral redirection over TLS ----\n" + r.output + "\n----");
        assertEquals(r.output, 0, r.exit);
        assertTrue(r.output, r.output.contains("\"step\":\"sol\",\"ok\":true") && r.output.contains("mc-sol-42"));
    }

    /**
     * Issue 20: SOL and KVM through CIRA as a MeshCentral user gets them. The guest's vAMT dials an
     * unmodified MeshCentral's MPS (bulk CIRA set-up, PID org.vamt.cira); MeshCentral's own redirection
     * client then opens SOL, then KVM, through MeshCentral's web relay (a real WebSocket to
     * webrelay.ashx, logged in as a MeshCentral user), which reaches the VM through its CIRA tunnel with
     * MeshCentral's stored AMT credentials: it logs in on the real guest's serial console and gets a
     * frame of its screen.
     */
    @Test
    public void meshCentralOpensSolAndKvmThroughItsWebRelayAndTheCiraTunnel() throws Exception {
        endpointWithListener();
        Path node = Paths.get(System.getProperty("vamt.node.dir"));
        Path data = itests().resolve("target/redirection-meshcentral/data");
        deleteTree(data.getParent());
        MeshCentralServer mc = new MeshCentralServer(node, data, MC_PORT, MPS_PORT);
        org.osgi.service.cm.Configuration cira = configurationAdmin.getConfiguration("org.vamt.cira", null);
        try {
            mc.create(WsmanClient.PASSWORD);
            String ciraUser = mc.addAmtOnlyGroup("redirection");
            Path trust = Paths.get(System.getProperty("karaf.etc")).resolve("redirection-mps-root.pem");
            Files.copy(mc.rootCertificate(), trust, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Dictionary<String, Object> p = new Hashtable<>();
            p.put("enabled", "true");
            p.put("mpsHost", "127.0.0.1");
            p.put("mpsPort", String.valueOf(MPS_PORT));
            p.put("user", ciraUser);
            p.put("password", "Redir-Cira-1");
            p.put("trustPemFile", trust.getFileName().toString());
            p.put("vms", DOMAIN);
            p.put("backoffMaxSeconds", "4");
            cira.update(p);
            assertTrue("MeshCentral lists " + DOMAIN + " as CIRA-connected: " + mc.meshctrl("listdevices", "--json"),
                    mc.awaitCiraConnected(120_000, UUID) != null);

            Result r = run(List.of("node", node.resolve("meshcentral-redirection.js").toString(),
                    "--relay", mc.webAddress(), "admin", MeshCentralServer.ADMIN_PASSWORD,
                    MeshCentralServer.nodeId(UUID), "16994", "admin", WsmanClient.PASSWORD, "sol", "kvm"), 180);
            System.out.println("---- MeshCentral SOL through its relay and CIRA ----\n" + r.output + "\n----");
            Files.writeString(itests().resolve("target/redirection-meshcentral-cira.txt"), r.output);
            assertEquals(r.output, 0, r.exit);
            assertTrue(r.output, r.output.contains("\"step\":\"sol\",\"ok\":true") && r.output.contains("mc-sol-42"));
            assertTrue(r.output, r.output.matches("(?s).*\"step\":\"kvm\",\"ok\":true.*\"width\":[1-9][0-9]*,\"height\":[1-9].*"));
            // the sessions went MeshCentral relay -> CIRA channel, not straight to the VM's listener
            assertTrue(mc.log(), mc.log().contains("Opening relay CIRA channel connection to " + MeshCentralServer.nodeId(UUID)));
        } finally {
            cira.delete();
            mc.stop();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var paths = Files.walk(root)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** IDE-R is enabled by default (32771) and starts; what it serves is IderIT's. */
    @Test
    public void ideRedirectionStartsWhenEnabled() throws Exception {
        String host = endpointWithListener();
        try (Socket s = new Socket(host, REDIRECTION_PORT)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(new byte[] {0x10, 0, 0, 0, 'I', 'D', 'E', 'R'});
            byte[] reply = s.getInputStream().readNBytes(2);
            assertEquals(0x11, reply[0]);
            assertEquals("STATUS_SUCCESS", 0, reply[1]);
        }
    }

    /** What MeshCentral sends to switch a VM's redirection listener on: a Put of AMT_RedirectionService. */
    static String listenerEnabledPut() {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Put</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + RESOURCE + "</w:ResourceURI><a:MessageID>1</a:MessageID>"
                + "</s:Header><s:Body><r:AMT_RedirectionService xmlns:r=\"" + RESOURCE + "\">"
                + "<r:ListenerEnabled>true</r:ListenerEnabled></r:AMT_RedirectionService></s:Body></s:Envelope>";
    }

    /**
     * Logs in as root on the busybox guest behind an amtterm session and waits for its shell prompt.
     * The guest may have printed its login prompt before amtterm came, or an earlier session left a
     * shell: ask for a fresh prompt, and log out of a shell first.
     */
    static void rootShell(Transcript t, OutputStream keys, String over) throws Exception {
        boolean prompt = false;
        for (int i = 0; i < 20 && !prompt; i++) {
            int mark = t.toString().length();
            type(keys, "\r");
            t.awaitQuietly(s -> s.indexOf("login:", mark) >= 0 || s.indexOf("/root #", mark) >= 0, 3);
            if (t.toString().indexOf("/root #", mark) >= 0) {
                type(keys, "exit\r");
                prompt = t.awaitQuietly(s -> s.indexOf("login:", mark) >= 0, 10);
            } else {
                prompt = t.toString().indexOf("login:", mark) >= 0;
            }
        }
        assertTrue("login prompt over " + over + "; got:\n" + t, prompt);
        int login = t.toString().length();
        type(keys, "root\r");
        if (!t.awaitQuietly(s -> s.indexOf("/root #", login) >= 0, 15)) {
            // seen once in about ten runs: the guest's output stopped after "/root " for 30 s with one clean
            // session in vAMT's log (cause not proven; likely the emulated 8250 UART's transmitter waiting
            // for an interrupt under TCG, which input gives it); Enter, as a user would
            System.out.println("amtterm: no shell prompt after 15 s, pressing Enter");
            type(keys, "\r");
        }
        t.await(s -> s.indexOf("/root #", login) >= 0, 30, "shell prompt");
    }

    static void type(OutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.US_ASCII));
        keys.flush();
    }

    /** Everything a process printed so far, collected by a reader thread. */
    static final class Transcript {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Transcript(InputStream in) {
            Thread t = new Thread(() -> {
                byte[] b = new byte[4096];
                int n;
                try {
                    while ((n = in.read(b)) > 0) {
                        synchronized (bytes) {
                            bytes.write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // process ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        int count(String needle) {
            return count(toString(), needle);
        }

        static int count(String text, String needle) {
            int n = 0;
            for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
                n++;
            }
            return n;
        }

        boolean awaitQuietly(Predicate<String> condition, int seconds) throws InterruptedException {
            long deadline = System.currentTimeMillis() + seconds * 1000L;
            while (System.currentTimeMillis() < deadline) {
                if (condition.test(toString())) {
                    return true;
                }
                Thread.sleep(100);
            }
            return condition.test(toString());
        }

        void await(Predicate<String> condition, int seconds, String what) throws InterruptedException {
            if (!awaitQuietly(condition, seconds)) {
                fail("no " + what + " within " + seconds + " s; transcript:\n" + this);
            }
        }

        @Override
        public String toString() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8).replace("\u001b[6n", "").replace("\r", "");
            }
        }
    }

    record Result(int exit, String output) {
    }

    static Result virsh(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        return run(cmd, 60);
    }

    static Result run(List<String> command, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        Transcript out = new Transcript(p.getInputStream());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out after " + timeoutSeconds + " s: " + out);
        }
        Thread.sleep(100);   // let the reader drain the pipe
        return new Result(p.exitValue(), out.toString());
    }

    static final String DOMAIN_XML = """
            <domain type='qemu'>
              <name>vamt-it9-linux</name>
              <uuid>5f1a0c3e-0000-4000-8000-000000000901</uuid>
              <memory unit='MiB'>128</memory>
              <vcpu placement='static'>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>/var/lib/libvirt/boot/vamt-vmlinux</kernel>
                <initrd>/var/lib/libvirt/boot/vamt-initrd.gz</initrd>
                <cmdline>console=ttyS0 quiet</cmdline>
              </os>
              <features><acpi/><apic/><tcg><tb-cache unit='MiB'>64</tb-cache></tcg></features>
              <clock offset='utc'/>
              <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <serial type='pty'><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
                <video><model type='vga'/></video>
                <memballoon model='none'/>
              </devices>
            </domain>
            """;
}
