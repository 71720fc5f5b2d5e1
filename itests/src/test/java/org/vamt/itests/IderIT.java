package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.vamt.endpoints.Endpoints;

/**
 * Issue 23: IDE-R virtual media against a real QEMU guest (libvirt qemu:///system, prepared by
 * {@code tools/real-hypervisor start}). A firmware-only domain (SeaBIOS on the serial port, an
 * empty IDE CD-ROM drive, normal boot from disk) is told through WS-Management to boot once from
 * IDE-R (AMT_BootSettingData UseIDER, IDERBootDevice 1); MeshCentral's own IDE-R client
 * ({@code src/test/node/meshcentral-ider.js}: {@code public/scripts/amt-ider-ws-0.0.1.js} on
 * {@code amt-redir-ws-0.1.0.js}) serves an El Torito ISO the test builds with genisoimage, whose
 * boot sector writes a marker to COM1; the VM is powered on through vAMT and boots from it (the
 * guest's serial log shows the marker). When the console stops, the medium is gone from the
 * domain ({@code virsh dumpxml}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IderIT {
    static final int WSMAN_PORT = 50992;
    static final int REDIRECTION_PORT = 50994;
    static final String DOMAIN = "vamt-it23-ider";
    static final String UUID = "5f1a0c3e-0000-4000-8000-000000002301";
    static final Path SERIAL_LOG = Paths.get("/var/log/libvirt/qemu/" + DOMAIN + "-serial.log");
    static final String MARKER = "VAMT-IDER-BOOT-OK";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";

    @Inject
    Endpoints endpoints;

    @Configuration
    public Option[] config() {
        Path itests = Paths.get("").toAbsolutePath();
        return OptionUtils.combine(KarafContainer.options("ider", WSMAN_PORT, "50181", "50101", "50099", "50444"),
                editConfigurationFilePut("etc/org.vamt.libvirt.cfg", "uri", "qemu:///system"),
                editConfigurationFilePut("etc/org.vamt.wsman.cfg", "firstAddress", "127.0.50.1"),
                editConfigurationFilePut("etc/org.vamt.redirection.cfg", "port", String.valueOf(REDIRECTION_PORT)),
                editConfigurationFilePut("etc/org.vamt.redirection.cfg", "tlsPort", "0"),
                systemProperty("vamt.itests.dir").value(itests.toString()),
                systemProperty("vamt.node.dir").value(System.getProperty("vamt.node.dir",
                        itests.resolve("src/test/node").toString())));
    }

    private static Path itests() {
        return Paths.get(System.getProperty("vamt.itests.dir"));
    }

    @BeforeClass
    public static void defineGuest() throws Exception {
        if (RedirectionIT.virsh("domstate", DOMAIN).exit() == 0) {
            return;   // Pax Exam runs this around every test method; once is enough
        }
        Path tool = itests().resolveSibling("tools").resolve("real-hypervisor");
        RedirectionIT.Result started = RedirectionIT.run(List.of(tool.toString(), "start"), 900);
        if (started.exit() != 0) {
            fail("tools/real-hypervisor start failed (" + started.exit() + "): " + started.output());
        }
        Path xml = Files.createTempFile("vamt-it23", ".xml");
        Files.writeString(xml, "<domain type='qemu'><name>" + DOMAIN + "</name><uuid>" + UUID + "</uuid>"
                + "<memory unit='MiB'>64</memory><vcpu placement='static'>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/>"
                + "<bios useserial='yes' rebootTimeout='5000'/></os><features><acpi/><apic/></features>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
                + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                + "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/>"
                + "<readonly/></disk>"
                + "<serial type='pty'><log file='" + SERIAL_LOG + "' append='off'/><target port='0'/></serial>"
                + "<console type='pty'><target type='serial' port='0'/></console>"
                + "<memballoon model='none'/></devices></domain>");
        RedirectionIT.Result defined = RedirectionIT.virsh("define", xml.toString());
        assertEquals("virsh define: " + defined.output(), 0, defined.exit());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                RedirectionIT.virsh("destroy", DOMAIN);
                RedirectionIT.virsh("undefine", DOMAIN);
            } catch (Exception e) {
                // the container is going away
            }
        }));
    }

    /**
     * A bootable ISO: El Torito, no emulation, a 2048-byte boot image whose code writes the marker
     * to COM1 (port 0x3F8) and halts. Built by genisoimage without a boot-info table, which would
     * overwrite the code.
     */
    static Path buildIso() throws Exception {
        Path dir = itests().resolve("target/ider");
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree);
        java.io.ByteArrayOutputStream code = new java.io.ByteArrayOutputStream();
        code.write(new byte[] {(byte) 0xBA, (byte) 0xF8, 0x03});                 // mov dx, 0x3F8
        for (byte c : ("\r\n" + MARKER + "\r\n").getBytes(StandardCharsets.US_ASCII)) {
            code.write(new byte[] {(byte) 0xB0, c, (byte) 0xEE});               // mov al, c; out dx, al
        }
        code.write(new byte[] {(byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD});   // cli; hlt; jmp hlt
        byte[] boot = java.util.Arrays.copyOf(code.toByteArray(), 2048);
        Files.write(tree.resolve("boot.img"), boot);
        Files.writeString(tree.resolve("README.TXT"), "vAMT IDE-R test medium\n");
        Path iso = dir.resolve("ider-test.iso");
        Files.deleteIfExists(iso);
        RedirectionIT.Result made = RedirectionIT.run(List.of("genisoimage", "-quiet", "-V", "VAMTIDER", "-o",
                iso.toString(), "-b", "boot.img", "-no-emul-boot", "-boot-load-size", "4", tree.toString()), 60);
        assertEquals("genisoimage: " + made.output(), 0, made.exit());
        return iso;
    }

    /** Until the container's karaf.log has a line holding {@code text}. */
    private static void awaitLog(String text, int seconds) throws Exception {
        Path log = Paths.get(System.getProperty("karaf.data"), "log", "karaf.log");
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (!Files.exists(log) || Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream()
                .noneMatch(l -> l.contains(text))) {
            assertTrue("no '" + text + "' in " + log + " within " + seconds + " s", System.currentTimeMillis() < deadline);
            Thread.sleep(100);
        }
    }

    private String endpoint() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Optional<Endpoints.Endpoint> e = Optional.empty();
        while (System.currentTimeMillis() < deadline && (e = endpoints.endpoint(UUID)).isEmpty()) {
            Thread.sleep(250);
        }
        assertTrue("vAMT has an endpoint for " + DOMAIN, e.isPresent());
        return e.get().address();
    }

    /** A WS-Management Put of some properties of a singleton, retried while the listener starts. */
    static String put(WsmanClient client, String className, String properties) throws Exception {
        String uri = AMT + className;
        String put = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Put</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + uri + "</w:ResourceURI><a:MessageID>1</a:MessageID>"
                + "</s:Header><s:Body><r:" + className + " xmlns:r=\"" + uri + "\">" + properties + "</r:" + className
                + "></s:Body></s:Envelope>";
        long deadline = System.currentTimeMillis() + 60_000;
        HttpResponse<String> answer = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                answer = client.post(put);
                if (answer.statusCode() == 200) {
                    return answer.body();
                }
            } catch (IOException ex) {
                // still starting
            }
            Thread.sleep(250);
        }
        fail("Put " + className + ": " + (answer == null ? "no answer" : answer.statusCode() + " " + answer.body()));
        return null;
    }

    @Test
    public void vmBootsOnceFromTheIsoMeshCentralServesAndTheMediumIsGoneAfterTheSession() throws Exception {
        Path iso = buildIso();
        String host = endpoint();
        WsmanClient client = new WsmanClient(host, WSMAN_PORT);
        put(client, "AMT_RedirectionService", "<r:ListenerEnabled>true</r:ListenerEnabled>");
        String settings = put(client, "AMT_BootSettingData", "<r:UseIDER>true</r:UseIDER>"
                + "<r:IDERBootDevice>1</r:IDERBootDevice>");
        assertTrue(settings, settings.contains("UseIDER>true<"));

        Path node = Paths.get(System.getProperty("vamt.node.dir"));
        Process console = new ProcessBuilder("node", node.resolve("meshcentral-ider.js").toString(), host,
                String.valueOf(REDIRECTION_PORT), "admin", WsmanClient.PASSWORD, iso.toString(), "0")
                .redirectError(itests().resolve("target/ider/meshcentral-ider.stderr.txt").toFile()).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(console.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // ended
            }
        });
        pump.start();
        try {
            String first = lines.poll(60, TimeUnit.SECONDS);
            assertTrue("MeshCentral's IDE-R session starts: " + first, first != null && first.contains("\"started\""));
            // vAMT reads the CD's capacity once the console enabled the device, then keeps the medium for the start
            awaitLog("insertMedia '" + DOMAIN + "'", 60);

            Files.deleteIfExists(SERIAL_LOG);
            assertEquals(0, RealGuestIT.requestPowerState(client, 2));
            long start = System.nanoTime();
            RealGuest.await("the guest's serial log shows the boot sector's marker", 120_000, () -> {
                try {
                    return Files.exists(SERIAL_LOG) && Files.readString(SERIAL_LOG, StandardCharsets.ISO_8859_1)
                            .contains(MARKER);
                } catch (IOException e) {
                    return false;
                }
            });
            System.out.println("IDE-R boot: marker after " + (System.nanoTime() - start) / 1_000_000 + " ms");
            String serial = Files.readString(SERIAL_LOG, StandardCharsets.ISO_8859_1);
            assertTrue("SeaBIOS booted the CD: " + serial, serial.indexOf("Booting from DVD/CD")
                    < serial.indexOf(MARKER) && serial.contains("Booting from DVD/CD"));
            String live = RedirectionIT.virsh("dumpxml", DOMAIN).output();
            assertTrue("the CD-ROM holds the NBD medium: " + live, live.contains("protocol='nbd'"));
            String inactive = RedirectionIT.virsh("dumpxml", "--inactive", DOMAIN).output();
            assertTrue("the persistent definition never names the medium, and boots from disk again: " + inactive,
                    !inactive.contains("nbd") && inactive.indexOf("<boot dev='hd'/>") >= 0
                            && !inactive.contains("<boot dev='cdrom'/>"));
            String after = client.post(client.get(AMT + "AMT_BootSettingData", null)).body();
            assertTrue("UseIDER is one-shot, as AMT's: " + after, after.contains("UseIDER>false<"));

            try (OutputStream in = console.getOutputStream()) {
                in.write("stop\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertTrue("the console ends", console.waitFor(30, TimeUnit.SECONDS));
            String stopped = lines.poll(5, TimeUnit.SECONDS);
            assertEquals("MeshCentral's client stopped cleanly: " + stopped, 0, console.exitValue());
            java.util.regex.Matcher reads = java.util.regex.Pattern.compile("\"reads\":(\\d+)").matcher(
                    String.valueOf(stopped));
            assertTrue("the guest's reads were served by the console: " + stopped,
                    reads.find() && Integer.parseInt(reads.group(1)) > 0);
            RealGuest.await("the medium leaves the domain once the session ended", 30_000, () -> {
                try {
                    return !RedirectionIT.virsh("dumpxml", DOMAIN).output().contains("protocol='nbd'");
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            console.destroyForcibly();
            RedirectionIT.virsh("destroy", DOMAIN);
        }
    }
}
