package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.RemoteNodes;

/** Registers a list as a machine listener, as DS would (keyed by itself). */
final class MachineListenerCollector {
    private MachineListenerCollector() {
    }

    static void add(GatewayHypervisor gateway, List<MachineEvent> events) {
        org.vamt.hypervisor.MachineListener l = events::add;
        gateway.addListener(l, l);
    }
}

/** The gateway's composite hypervisor over a node imported through the mutual-TLS link. */
class GatewayHypervisorTest {
    @TempDir
    Path dir;
    DemoHypervisor demo;
    LinkFixture link;
    LinkFixture.Served exported;
    NodeHypervisor imported;
    GatewayHypervisor gateway;
    final List<MachineEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        demo = DemoHypervisor.start();
        link = new LinkFixture(dir);
        exported = link.serve(new NodeExport(demo.hypervisor(), "node-a"), "node-a");
        imported = link.gateway(exported.address(), "node-a", 2000);
        gateway = new GatewayHypervisor(100);
        MachineListenerCollector.add(gateway, events);
    }

    @AfterEach
    void tearDown() throws Exception {
        gateway.deactivate();
        link.close();
        demo.close();
    }

    Map<String, Object> props(String id) {
        return Map.of(NodeHypervisor.NODE_ID, id, "endpoint.id", exported.address());
    }

    void awaitDefined(int count) throws InterruptedException {
        for (int i = 0; i < 100 && events.stream().filter(e -> e.type() == MachineEvent.Type.DEFINED).count() < count; i++) {
            Thread.sleep(50);
        }
    }

    @Test
    void servesANodesVmsFaultsWhileItIsGoneAndServesThemAgain() throws Exception {
        gateway.bindNode(imported, props("node-a"));
        awaitDefined(4);
        assertEquals(4, gateway.listMachines().size());
        assertEquals("desktop-01", gateway.machine(DemoHypervisor.DESKTOP_01).orElseThrow().name());
        assertEquals(RemoteNodes.Status.CONNECTED, gateway.nodes().get(0).status());

        gateway.unbindNode(imported, props("node-a"));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> gateway.hardware(DemoHypervisor.DESKTOP_01));
        assertEquals(HypervisorException.Reason.UNAVAILABLE, e.reason(), "a gone node's VM faults, not NOT_FOUND");
        assertEquals(RemoteNodes.Status.GONE, gateway.nodes().get(0).status());
        assertEquals(4, gateway.nodes().get(0).machines().size(), "its VMs are remembered");
        assertTrue(events.stream().noneMatch(ev -> ev.type() == MachineEvent.Type.UNDEFINED),
                "leaving is not undefining: endpoints stay");

        gateway.bindNode(imported, props("node-a"));
        assertEquals("desktop-01", gateway.machine(DemoHypervisor.DESKTOP_01).orElseThrow().name());
        assertEquals(HypervisorException.Reason.NOT_FOUND, assertThrows(HypervisorException.class,
                () -> gateway.hardware(DemoHypervisor.UNKNOWN)).reason());
    }

    @Test
    void aUuidAlreadyServedByAnotherNodeIsNotTakenOver() throws Exception {
        gateway.bindNode(imported, props("node-a"));
        awaitDefined(4);
        NodeHypervisor twin = link.gateway(exported.address(), "node-a", 2000);
        gateway.bindNode(twin, props("node-b"));
        for (int i = 0; i < 100 && gateway.nodes().get(1).problem() == null; i++) {
            Thread.sleep(50);
        }
        RemoteNodes.Node b = gateway.nodes().get(1);
        assertEquals("node-b", b.id());
        assertTrue(b.problem().contains("has the UUID of a VM on node node-a"), b.problem());
        assertEquals(0, b.machines().size());
        assertEquals(4, gateway.listMachines().size());
    }

    @Test
    void aListenerThatComesLateStillLearnsTheVms() throws Exception {
        gateway.bindNode(imported, props("node-a"));
        awaitDefined(4);
        List<MachineEvent> late = new CopyOnWriteArrayList<>();
        MachineListenerCollector.add(gateway, late);
        for (int i = 0; i < 100 && late.size() < 4; i++) {
            Thread.sleep(50);
        }
        assertEquals(4, late.stream().filter(e -> e.type() == MachineEvent.Type.DEFINED).count());
    }
}
