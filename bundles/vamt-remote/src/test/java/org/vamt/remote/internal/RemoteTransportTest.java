package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.vamt.hypervisor.StateEntry;
import org.apache.aries.rsa.spi.Endpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;

/** vamt.tcp over real sockets, a real libvirt test-driver hypervisor behind it. */
class RemoteTransportTest {
    static final String SECRET = "unit-test-secret-0123456789";

    DemoHypervisor demo;
    SecureTcpProvider nodeSide;
    Endpoint exported;

    @BeforeEach
    void exportANode() throws Exception {
        demo = DemoHypervisor.start();
        nodeSide = new SecureTcpProvider(SECRET, "127.0.0.1", "", 0, 500, 2000);
        exported = export(nodeSide, new NodeExport(demo.hypervisor(), "node-a"));
    }

    @AfterEach
    void close() throws Exception {
        nodeSide.deactivate();
        demo.close();
    }

    static Endpoint export(SecureTcpProvider provider, NodeHypervisor service) {
        return provider.exportService(service, null, Map.of(Constants.SERVICE_ID, 42L,
                        Constants.OBJECTCLASS, new String[] {NodeHypervisor.class.getName()},
                        "endpoint.framework.uuid", "node-a-framework", NodeHypervisor.NODE_ID, service.nodeId()),
                new Class[] {NodeHypervisor.class});
    }

    static NodeHypervisor importWith(String secret, int callTimeoutMillis, EndpointDescription endpoint) {
        SecureTcpProvider gatewaySide = new SecureTcpProvider(secret, "127.0.0.1", "", 0, 500, callTimeoutMillis);
        return (NodeHypervisor) gatewaySide.importEndpoint(RemoteTransportTest.class.getClassLoader(), null,
                new Class[] {NodeHypervisor.class}, endpoint);
    }

    /**
     * Two gateways' clients of one node: the compare-and-set happens on the node, so the gateway
     * that read an older generation is refused with CONFLICT (not FAILED), and nothing is overwritten.
     */
    @Test
    void aStaleGenerationIsRefusedThroughTheTransport() throws Exception {
        NodeHypervisor gatewayA = importWith(SECRET, 2000, exported.description());
        NodeHypervisor gatewayB = importWith(SECRET, 2000, exported.description());
        String vm = DemoHypervisor.KIOSK;
        demo.putLegacy(vm, "defense.state", "next=1\n");
        StateEntry readByA = gatewayA.readState(vm, "defense", Set.of("defense.state"));
        StateEntry readByB = gatewayB.readState(vm, "defense", Set.of("defense.state"));
        assertEquals(Map.of("defense.state", "next=1\n"), readByA.legacy());
        assertEquals(0, readByB.generation());
        assertEquals(1, gatewayB.writeState(vm, "defense", readByB.generation(), "{\"by\":\"B\"}", Set.of("defense.state")));
        HypervisorException conflict = assertThrows(HypervisorException.class,
                () -> gatewayA.writeState(vm, "defense", readByA.generation(), "{\"by\":\"A\"}", Set.of("defense.state")));
        assertEquals(HypervisorException.Reason.CONFLICT, conflict.reason());
        StateEntry now = demo.hypervisor().readState(vm, "defense", Set.of("defense.state"));
        assertEquals(new StateEntry("defense", 1, "{\"by\":\"B\"}", Map.of()), now);
        // A reads again and wins on the fresh generation
        assertEquals(2, gatewayA.writeState(vm, "defense", gatewayA.readState(vm, "defense", Set.of()).generation(),
                "{\"by\":\"A\"}", Set.of()));
    }

    @Test
    void valuesOptionalsAndErrorsCrossTheWire() throws Exception {
        NodeHypervisor remote = importWith(SECRET, 2000, exported.description());
        assertTrue(exported.description().getId().startsWith("vamt.tcp://127.0.0.1:"), exported.description().getId());
        assertEquals("node-a", remote.nodeId());
        List<MachineInfo> machines = remote.listMachines();
        assertEquals(4, machines.size());
        assertEquals("desktop-01", remote.machine(DemoHypervisor.DESKTOP_01).orElseThrow().name());
        assertEquals(Optional.empty(), remote.machine(DemoHypervisor.UNKNOWN));
        assertEquals(4, remote.hardware(DemoHypervisor.DESKTOP_01).cpu().sockets()
                * remote.hardware(DemoHypervisor.DESKTOP_01).cpu().cores()
                * remote.hardware(DemoHypervisor.DESKTOP_01).cpu().threads());
        HypervisorException notFound = assertThrows(HypervisorException.class,
                () -> remote.hardware(DemoHypervisor.UNKNOWN));
        assertEquals(HypervisorException.Reason.NOT_FOUND, notFound.reason());
        assertEquals(1, remote.writeState(DemoHypervisor.DESKTOP_01, "test.key", 0, "{\"v\":\"over the wire\"}", Set.of()));
        assertEquals(new StateEntry("test.key", 1, "{\"v\":\"over the wire\"}", Map.of()),
                demo.hypervisor().readState(DemoHypervisor.DESKTOP_01, "test.key", Set.of()));
        remote.setNextBootDevice(DemoHypervisor.DESKTOP_01, BootDevice.CDROM);
        assertEquals(Optional.of(BootDevice.CDROM), remote.nextBootDevice(DemoHypervisor.DESKTOP_01));
        // a running VM's lease (record through the class allow-list) and none while off
        assertEquals(Optional.of(new org.vamt.hypervisor.NicAddress("192.168.122.3", 24, "192.168.122.1",
                List.of("192.168.122.1"))), remote.nicAddress(DemoHypervisor.DESKTOP_01, "52:54:00:a0:00:01"));
        assertEquals(Optional.empty(), remote.nicAddress(DemoHypervisor.BUILD_SERVER, "52:54:00:a0:00:03"));
    }

    @Test
    void aCallerWithoutTheSecretGetsNothing() {
        NodeHypervisor intruder = importWith("not-the-site-secret-at-all", 2000, exported.description());
        HypervisorException e = assertThrows(HypervisorException.class, intruder::listMachines);
        assertEquals(HypervisorException.Reason.UNAVAILABLE, e.reason());
    }

    @Test
    void neverServesOnTheWildcardAddressAndNeedsASecret() {
        SecureTcpProvider wildcard = new SecureTcpProvider(SECRET, "0.0.0.0", "", 0, 500, 2000);
        assertNull(export(wildcard, new NodeExport(demo.hypervisor(), "node-b")));
        assertThrows(IllegalArgumentException.class, () -> new SecureTcpProvider("short", "127.0.0.1", "", 0, 500, 500));
    }

    @Test
    void aDeadNodeFailsTheCallAtOnce() throws Exception {
        NodeHypervisor remote = importWith(SECRET, 2000, exported.description());
        assertEquals(4, remote.listMachines().size());   // a pooled connection exists now
        exported.close();                                 // last export gone: the node's socket closes
        long t0 = System.nanoTime();
        HypervisorException e = assertThrows(HypervisorException.class, remote::listMachines);
        assertEquals(HypervisorException.Reason.UNAVAILABLE, e.reason());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_000, "failed fast");
    }

    @Test
    void aHungNodeFailsTheCallAfterTheCallTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket s = silent.accept();   // accepted, then never a byte
                    Thread.sleep(10_000);
                    s.close();
                } catch (Exception ignored) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            EndpointDescription hung = new EndpointDescription(Map.of("endpoint.id",
                    "vamt.tcp://127.0.0.1:" + silent.getLocalPort() + "/42", "service.imported.configs", "vamt.tcp",
                    Constants.OBJECTCLASS, new String[] {NodeHypervisor.class.getName()},
                    "endpoint.framework.uuid", "x"));
            NodeHypervisor remote = importWith(SECRET, 700, hung);
            long t0 = System.nanoTime();
            HypervisorException e = assertThrows(HypervisorException.class, remote::listMachines);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(HypervisorException.Reason.UNAVAILABLE, e.reason());
            assertTrue(millis >= 600 && millis < 2_000, "gave up after the call timeout: " + millis + " ms");
        }
    }
}
