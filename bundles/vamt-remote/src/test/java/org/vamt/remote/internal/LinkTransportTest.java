package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.NicAddress;
import org.vamt.hypervisor.StateEntry;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.internal.LinkCodec.Answer;
import org.vamt.remote.internal.LinkCodec.Call;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.TestLinkCa;

/**
 * The node-gateway link over real HTTPS sockets with real CXF (the JAX-RS server and client that
 * provider-rs builds, with the mutual-TLS intent), a real libvirt test-driver hypervisor behind it.
 */
class LinkTransportTest {
    @TempDir
    Path dir;
    DemoHypervisor demo;
    LinkFixture link;
    /** Requests that reached the node's code. */
    final AtomicInteger served = new AtomicInteger();
    LinkFixture.Served node;

    @BeforeEach
    void aNodeOnTheLink() throws Exception {
        demo = DemoHypervisor.start();
        link = new LinkFixture(dir);
        node = link.serve(new NodeExport(demo.hypervisor(), "node-a") {
            @Override
            public byte[] calls(byte[] request) {
                served.incrementAndGet();
                return super.calls(request);
            }
        }, "node-a");
    }

    @AfterEach
    void close() throws Exception {
        link.close();
        demo.close();
    }

    @Test
    void recordsOptionalsSetsAndReasonsCrossTheLink() throws Exception {
        NodeHypervisor remote = link.gateway(node.address(), "node-a", 3000);
        assertTrue(node.address().startsWith("https://127.0.0.1:") && node.address().endsWith("/vamt/node/node-a"),
                node.address());
        assertEquals("node-a", remote.nodeId());
        List<MachineInfo> machines = remote.listMachines();
        assertEquals(demo.hypervisor().listMachines(), machines, "records equal to the node's own");
        assertEquals("desktop-01", remote.machine(DemoHypervisor.DESKTOP_01).orElseThrow().name());
        assertEquals(Optional.empty(), remote.machine(DemoHypervisor.UNKNOWN));
        assertEquals(demo.hypervisor().hardware(DemoHypervisor.DESKTOP_01), remote.hardware(DemoHypervisor.DESKTOP_01));
        HypervisorException notFound = assertThrows(HypervisorException.class,
                () -> remote.hardware(DemoHypervisor.UNKNOWN));
        assertEquals(Reason.NOT_FOUND, notFound.reason());
        remote.setNextBootDevice(DemoHypervisor.DESKTOP_01, BootDevice.CDROM);
        assertEquals(Optional.of(BootDevice.CDROM), remote.nextBootDevice(DemoHypervisor.DESKTOP_01));
        assertEquals(Optional.of(new NicAddress("192.168.122.3", 24, "192.168.122.1", List.of("192.168.122.1"))),
                remote.nicAddress(DemoHypervisor.DESKTOP_01, "52:54:00:a0:00:01"));
        assertEquals(Optional.empty(), remote.nicAddress(DemoHypervisor.BUILD_SERVER, "52:54:00:a0:00:03"));
        // a Set argument, a Map in a record result, and a stale compare-and-set refused with CONFLICT
        demo.putLegacy(DemoHypervisor.KIOSK, "defense.state", "next=1\n");
        NodeHypervisor other = link.gateway(node.address(), "node-a", 3000);
        StateEntry readByA = remote.readState(DemoHypervisor.KIOSK, "defense", Set.of("defense.state"));
        assertEquals(Map.of("defense.state", "next=1\n"), readByA.legacy());
        assertEquals(1, other.writeState(DemoHypervisor.KIOSK, "defense", 0, "{\"by\":\"B\"}", Set.of("defense.state")));
        HypervisorException conflict = assertThrows(HypervisorException.class, () -> remote.writeState(
                DemoHypervisor.KIOSK, "defense", readByA.generation(), "{\"by\":\"A\"}", Set.of()));
        assertEquals(Reason.CONFLICT, conflict.reason());
        assertEquals(new StateEntry("defense", 1, "{\"by\":\"B\"}", Map.of()),
                demo.hypervisor().readState(DemoHypervisor.KIOSK, "defense", Set.of("defense.state")));
        // a console is not offered over the link: the reason says so
        assertEquals(Reason.UNSUPPORTED, assertThrows(HypervisorException.class,
                () -> remote.openConsole(DemoHypervisor.DESKTOP_01)).reason());
    }

    @Test
    void aBatchIsAnsweredInOrderAndBadCallsGetTheirReason() throws Exception {
        MutualTlsIntent gateway = link.peer(link.site, "gateway", PeerRole.GATEWAY, LinkFixture.freePort(), 3000);
        LinkedNode.class.getDeclaredMethods();   // (the view's batch call is what a gateway uses for several calls)
        java.lang.reflect.Method call = LinkedNode.class.getDeclaredMethod("call", List.class);
        call.setAccessible(true);
        NodeHypervisor view = LinkFixture.client(gateway, node.address(), "node-a");
        LinkedNode handler = (LinkedNode) java.lang.reflect.Proxy.getInvocationHandler(view);
        @SuppressWarnings("unchecked")
        List<Answer> answers = (List<Answer>) call.invoke(handler, List.of(
                Call.of("machine", DemoHypervisor.DESKTOP_01),
                Call.of("deleteEverything"),
                Call.of("machine"),
                new Call("setOnlineVcpus", List.of(LinkCodec.toJson(DemoHypervisor.DESKTOP_01),
                        com.fasterxml.jackson.databind.node.NullNode.getInstance())),
                Call.of("nodeId")));
        assertEquals(5, answers.size());
        assertEquals("desktop-01", LinkCodec.MAPPER.treeToValue(answers.get(0).result(), MachineInfo.class).name());
        assertEquals(Reason.UNSUPPORTED, answers.get(1).reason());
        assertEquals(Reason.INVALID_ARGUMENT, answers.get(2).reason(), "a missing argument");
        assertEquals(Reason.INVALID_ARGUMENT, answers.get(3).reason(), "null for an int");
        assertEquals("node-a", answers.get(4).result().asText());
        assertEquals(1, served.get(), "five calls, one request");
    }

    @Test
    void aGatewayOfAnotherCaIsRefusedBeforeTheNodeRunsAnything() throws Exception {
        TestLinkCa stranger = new TestLinkCa("another site");
        NodeHypervisor intruder = LinkFixture.client(link.peer(stranger, "gateway", PeerRole.GATEWAY, LinkFixture.freePort(), 3000),
                node.address(), "node-a");
        HypervisorException e = assertThrows(HypervisorException.class, intruder::listMachines);
        assertEquals(Reason.UNAVAILABLE, e.reason());
        assertEquals(0, served.get(), "the node's code never ran");
    }

    /** A compromised node's certificate (serverAuth only) cannot call another node: refused in the handshake. */
    @Test
    void aNodesCertificateCannotCallAnotherNode() throws Exception {
        NodeHypervisor otherNode = LinkFixture.client(link.peer(link.site, "node-b", PeerRole.NODE,
                LinkFixture.freePort(), 3000), node.address(), "node-a");
        HypervisorException e = assertThrows(HypervisorException.class, otherNode::listMachines);
        assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
        HypervisorException power = assertThrows(HypervisorException.class,
                () -> otherNode.powerOff(DemoHypervisor.DESKTOP_01));
        assertEquals(Reason.UNAVAILABLE, power.reason(), power.getMessage());
        assertEquals(0, served.get(), "the node's code never ran");
        assertEquals(demo.hypervisor().listMachines(), link.gateway(node.address(), "node-a", 3000).listMachines(),
                "a gateway's certificate is served");
        assertTrue(served.get() > 0, "and the node's code ran for it");
    }

    /** A gateway's certificate (clientAuth only) cannot serve as a node, even under the node's name. */
    @Test
    void aGatewaysCertificateCannotPoseAsANode() throws Exception {
        AtomicInteger posed = new AtomicInteger();
        LinkFixture.Served impostor = link.serve(new NodeExport(demo.hypervisor(), "node-b") {
            @Override
            public byte[] calls(byte[] request) {
                posed.incrementAndGet();
                return super.calls(request);
            }
        }, "node-b", PeerRole.GATEWAY);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> link.gateway(impostor.address(), "node-b", 3000).listMachines());
        assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
        assertEquals(0, posed.get(), "the gateway sent no call to it");
    }

    @Test
    void aClientWithoutACertificateGetsNothing() throws Exception {
        // trusts the site CA (so the server's certificate is fine) but has no key of its own
        LinkTls gatewayTls = link.site.issue(dir.resolve("no-key"), "gateway", PeerRole.GATEWAY);
        SSLContext noKey = SSLContext.getInstance("TLSv1.3");
        noKey.init(null, gatewayTls.trustManagers(), null);
        String answer;
        try (SSLSocket s = (SSLSocket) noKey.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                node.port())) {
            s.setSoTimeout(5000);
            answer = exchange(s);
        } catch (IOException refused) {
            answer = "refused: " + refused;
        }
        assertFalse(answer.contains("HTTP/1.1"), answer);
        assertEquals(0, served.get(), "the node's code never ran");
    }

    @Test
    void plainHttpToTheLinkPortGetsNoPlaintextAnswer() throws Exception {
        String answer;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
            s.setSoTimeout(5000);
            answer = exchange(s);
        } catch (IOException closed) {
            answer = "closed: " + closed;
        }
        assertFalse(answer.contains("HTTP/"), "no plaintext HTTP from the link port: " + answer);
        assertEquals(0, served.get());
    }

    /** Sends one plain link request on {@code s}; what comes back, as text (empty when the peer just closed). */
    private static String exchange(Socket s) throws IOException {
        byte[] body = "{\"calls\":[{\"method\":\"listMachines\",\"args\":[]}]}".getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /vamt/node/node-a/calls HTTP/1.1\r\nHost: node-a\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void anAddressNamingAnotherNodeIsRefusedByTheGateway() throws Exception {
        // node-a's server announced as node-b: its certificate says node-a, so the gateway does not talk to it
        String claimed = node.address().replace("/node-a", "/node-b");
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> link.gateway(claimed, "node-b", 3000).listMachines());
        assertEquals(Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("node-a") || String.valueOf(e.getCause()).contains("node-a"), e.getMessage());
        assertEquals(0, served.get());
        // and plain http is never called
        HypervisorException plain = assertThrows(HypervisorException.class,
                () -> link.gateway(node.address().replace("https:", "http:"), "node-a", 3000).listMachines());
        assertEquals(Reason.UNAVAILABLE, plain.reason());
    }

    @Test
    void aDeadNodeFailsTheCallAtOnce() throws Exception {
        NodeHypervisor remote = link.gateway(node.address(), "node-a", 3000);
        assertEquals(4, remote.listMachines().size());
        node.close();
        long t0 = System.nanoTime();
        HypervisorException e = assertThrows(HypervisorException.class, remote::listMachines);
        assertEquals(Reason.UNAVAILABLE, e.reason());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_000, "failed fast");
    }

    @Test
    void aHungNodeFailsTheCallAfterItsTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket s = silent.accept()) {   // accepted, then never a byte
                    Thread.sleep(10_000);
                } catch (Exception ignored) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            NodeHypervisor remote = LinkFixture.client(link.peer(link.site, "gateway", PeerRole.GATEWAY, LinkFixture.freePort(), 500, 700),
                    "https://127.0.0.1:" + silent.getLocalPort() + "/vamt/node/node-a", "node-a");
            long t0 = System.nanoTime();
            HypervisorException e = assertThrows(HypervisorException.class, remote::listMachines);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(Reason.UNAVAILABLE, e.reason());
            // the TLS handshake is part of connecting: a silent peer fails it after connectTimeoutMillis (500)
            assertTrue(millis >= 450 && millis < 2_500, "gave up after the timeout: " + millis + " ms, " + e.getMessage());
        }
    }

    @Test
    void neverServesOnTheWildcardAddress() throws Exception {
        MutualTlsIntent wildcard = new MutualTlsIntent(link.site.issue(dir.resolve("w"), "node-w", PeerRole.NODE), "0.0.0.0", "",
                LinkFixture.freePort(), 500, 500);
        assertThrows(IllegalArgumentException.class, wildcard::listen);
    }
}
