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
        remote.setMetadata(DemoHypervisor.DESKTOP_01, "test.key", "over the wire");
        assertEquals(Optional.of("over the wire"), demo.hypervisor().metadata(DemoHypervisor.DESKTOP_01, "test.key"));
        remote.setNextBootDevice(DemoHypervisor.DESKTOP_01, BootDevice.CDROM);
        assertEquals(Optional.of(BootDevice.CDROM), remote.nextBootDevice(DemoHypervisor.DESKTOP_01));
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
