package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;

/**
 * Issue 24, consoles through gateways: Debian's amtterm does SOL through a GATEWAY Karaf to a real
 * QEMU guest (qemu:///system, the busybox guest of tools/real-hypervisor) that runs on a NODE Karaf.
 * The gateway does everything AMT-facing (its redirection listener on the VM's endpoint address,
 * the login, the one-SOL-per-VM rule, the audit); the node streams the guest's serial console to it
 * over its console link (mutual TLS with certificates of a test site CA). MeshCentral's client opens
 * KVM beside it (the guest's VNC display, relayed the same way). Then the node is killed:
 * the gateway's SOL session learns it at once (the link closes) and amtterm's session stays clean.
 */
public class ConsolesThroughGatewayIT {
    static final String DOMAIN = "vamt-it24-sol";
    static final String UUID = "5f1a0c3e-0000-4000-8000-000000000924";
    static final int REDIRECTION = 52994;

    /** The Karaf copies, set up and started as ScaleOutIT does. */
    final ScaleOutIT karafs = new ScaleOutIT();

    @After
    public void stopEverything() throws Exception {
        karafs.killWhatIsLeft();
        RealGuest.virshMayFail("destroy", DOMAIN);
        RealGuest.virshMayFail("undefine", DOMAIN);
    }

    @Test
    public void amttermThroughAGatewayLogsInOnTheGuestOfANode() throws Exception {
        RealGuest.startHypervisor();
        RealGuest.virshMayFail("destroy", DOMAIN);
        RealGuest.virshMayFail("undefine", DOMAIN);
        Path xml = Files.createTempFile(DOMAIN, ".xml");
        Files.writeString(xml, RedirectionIT.DOMAIN_XML.replace("vamt-it9-linux", DOMAIN)
                .replace("5f1a0c3e-0000-4000-8000-000000000901", UUID));
        RealGuest.virsh("define", xml.toString());
        Files.delete(xml);
        RealGuest.virsh("start", DOMAIN);

        Path root = Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e")).resolveSibling("consoles-gateway");
        DistributionFiles.deleteTree(root);
        karafs.site = new LinkCertificates(root.resolve("pki"), "vAMT test site CA");
        ScaleOutIT.Instance gateway = karafs.gateway(ScaleOutIT.copy(root, "gateway"));
        ScaleOutIT.put(gateway.home, "etc/org.vamt.redirection.cfg", "port", String.valueOf(REDIRECTION));
        ScaleOutIT.put(gateway.home, "etc/org.vamt.redirection.cfg", "tlsPort", "0");
        // Debian's amtterm 1.4 only knows user/password in clear
        ScaleOutIT.put(gateway.home, "etc/org.vamt.redirection.cfg", "allowPlainAuth", "true");
        ScaleOutIT.Instance node = karafs.node(ScaleOutIT.copy(root, "node-a"), "node-a", "a", "127.0.52.101", 52901,
                52110);
        ScaleOutIT.put(node.home, "etc/org.vamt.libvirt.cfg", "uri", "qemu:///system");

        long bootStart = System.nanoTime();
        karafs.start(gateway);
        karafs.start(node);
        String host = endpointWithListener(gateway, 360_000);
        System.out.printf("ConsolesThroughGatewayIT: the node's guest served by the gateway at %s after %d ms%n", host,
                ScaleOutIT.millisSince(bootStart));

        // the gateway's own login rules: a wrong password is refused before anything reaches the node
        ProcessBuilder wrong = new ProcessBuilder("script", "-qfec",
                "amtterm -u admin " + host + " " + REDIRECTION, "/dev/null").redirectErrorStream(true);
        wrong.environment().put("AMT_PASSWORD", "Wrong-Passw0rd#");
        Process refused = wrong.start();
        RedirectionIT.Transcript refusal = new RedirectionIT.Transcript(refused.getInputStream());
        try {
            assertTrue("amtterm with a wrong password gives up", refused.waitFor(30, TimeUnit.SECONDS));
            assertTrue(refusal.toString(), refusal.toString().contains("authentication")
                    && !refusal.toString().contains("use ^] to escape"));
        } finally {
            refused.destroyForcibly();
        }

        ProcessBuilder pb = new ProcessBuilder("script", "-qfec",
                "amtterm -u admin " + host + " " + REDIRECTION, "/dev/null").redirectErrorStream(true);
        pb.environment().put("AMT_PASSWORD", WsmanClient.PASSWORD);
        pb.environment().put("TERM", "dumb");
        Process amtterm = pb.start();
        RedirectionIT.Transcript t = new RedirectionIT.Transcript(amtterm.getInputStream());
        OutputStream keys = amtterm.getOutputStream();
        try {
            t.await(s -> s.contains("use ^] to escape"), 60, "amtterm connected");
            RedirectionIT.rootShell(t, keys, "SOL through the gateway");
            RedirectionIT.type(keys, "echo through-gateway-$((6*7)) on $(hostname)\r");
            t.await(s -> s.contains("through-gateway-42 on vamt-guest"), 30, "command output");

            // it went gateway -> node over the console link, with the gateway's certificate
            String nodeLog = Files.readString(node.home.resolve("data/log/karaf.log"));
            assertTrue("the node opened the console for the gateway over its link:\n" + tail(nodeLog),
                    nodeLog.contains("Console link: serial console of VM " + UUID + " open for gateway"));
            String gatewayLog = Files.readString(gateway.home.resolve("data/log/karaf.log"));
            assertTrue(tail(gatewayLog), gatewayLog.contains("bridged to the VM's serial console"));

            // KVM beside it: MeshCentral's redirection client gets the RFB handshake and a frame of the
            // guest's VGA screen, whose VNC display is on the node (relayed over the same link)
            Path nodeScripts = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));
            RedirectionIT.Result kvm = RedirectionIT.run(List.of("node",
                    nodeScripts.resolve("meshcentral-redirection.js").toString(), host, String.valueOf(REDIRECTION),
                    "admin", WsmanClient.PASSWORD, "kvm"), 180);
            System.out.println("---- MeshCentral KVM through the gateway ----\n" + kvm.output() + "\n----");
            assertEquals(kvm.output(), 0, kvm.exit());
            assertTrue(kvm.output(), kvm.output().matches(
                    "(?s).*\"step\":\"kvm\",\"ok\":true.*\"width\":[1-9][0-9]*,\"height\":[1-9].*"));
            assertTrue("the node relayed the VNC display:\n" + tail(Files.readString(node.home.resolve("data/log/karaf.log"))),
                    Files.readString(node.home.resolve("data/log/karaf.log")).contains(
                            "Console link: VNC display of VM " + UUID + " open for gateway"));

            // the node dies under the session: the console stream ends at once, amtterm is told the
            // power is off (SOL's controls), no hang; the gateway keeps serving the session
            long killed = System.nanoTime();
            ScaleOutIT.kill(node);
            long deadline = System.currentTimeMillis() + 15_000;
            while (!Files.readString(gateway.home.resolve("data/log/karaf.log")).contains("serial console stream ended")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            long ended = ScaleOutIT.millisSince(killed);
            System.out.printf("ConsolesThroughGatewayIT: node killed -> the gateway's SOL stream ended after %d ms%n",
                    ended);
            assertTrue("the gateway saw the console stream end within 15 s of the kill:\n"
                    + tail(Files.readString(gateway.home.resolve("data/log/karaf.log"))), ended < 15_000);
            assertTrue("amtterm still runs: the session ended nothing but the stream", amtterm.isAlive());
            // the sessions were audited where they were authenticated: on the gateway, under the VM
            Path audit = gateway.home.resolve("data/vamt/audit/" + UUID + ".audit");
            assertTrue("the gateway audited the sessions in " + audit, Files.size(audit) > 0);
            assertTrue("the node audits nothing", !Files.exists(node.home.resolve("data/vamt/audit")));
            RedirectionIT.type(keys, "\035");   // ^] ends amtterm
            assertTrue("amtterm exits on ^]", amtterm.waitFor(10, TimeUnit.SECONDS));
        } finally {
            amtterm.destroyForcibly();
            System.out.println("---- amtterm transcript (through the gateway) ----\n" + t + "\n----");
        }
    }

    /** The guest's endpoint on the gateway, once it answers; then its redirection listener is switched on. */
    static String endpointWithListener(ScaleOutIT.Instance gateway, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String host = null;
        HttpResponse<String> answer = null;
        String put = RedirectionIT.listenerEnabledPut();
        while (System.currentTimeMillis() < deadline) {
            for (ScaleOutIT.Instance i : List.of(gateway)) {
                if (i.process != null && !i.process.isAlive()) {
                    fail(i.name + " exited; see " + i.home.resolve("karaf-console.log"));
                }
            }
            host = ScaleOutIT.endpointMap(gateway).get(UUID);
            if (host != null) {
                try {
                    answer = new WsmanClient(host, ScaleOutIT.WSMAN).post(put);
                    if (answer.statusCode() == 200) {
                        return host;
                    }
                } catch (IOException e) {
                    // the listener is still starting
                }
            }
            Thread.sleep(500);
        }
        fail("the gateway did not serve " + DOMAIN + " (" + UUID + ") within " + timeoutMillis + " ms: host " + host
                + ", answer " + (answer == null ? "none" : answer.body()) + "; see "
                + gateway.home.resolve("data/log/karaf.log"));
        return null;
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 6000));
    }
}
