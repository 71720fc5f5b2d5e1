package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;

/**
 * A gateway following a node's change journal over the real mutual-TLS link: events are pushed (the
 * fallback poll is set to a minute, so only a push can deliver them in time), reads cost at most one
 * call to the node, and a change from another gateway is seen.
 */
class GatewayFollowsNodeTest {
    static final long NO_POLL = 60_000;

    @TempDir
    Path dir;
    DemoHypervisor demo;
    LinkFixture link;
    LinkFixture.Served served;
    GatewayHypervisor gateway;
    NodeExport export;
    final List<MachineEvent> events = new CopyOnWriteArrayList<>();
    /** Requests the node served, but for the held calls on its journal. */
    final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        demo = DemoHypervisor.start();
        link = new LinkFixture(dir);
        export = new NodeExport(demo.hypervisor(), "node-a") {
            @Override
            public byte[] calls(byte[] request) {
                if (!new String(request, StandardCharsets.UTF_8).contains("\"changes\"")) {
                    requests.incrementAndGet();
                }
                return super.calls(request);
            }
        };
        demo.addMachineListener(export.changeJournal());
        served = link.serve(export, "node-a");
        gateway = new GatewayHypervisor(NO_POLL, 60_000, 1000);
        MachineListenerCollector.add(gateway, events);
        gateway.bindNode(link.gateway(served.address(), "node-a", 3000),
                Map.of(NodeHypervisor.NODE_ID, "node-a", "endpoint.id", served.address()));
        long deadline = System.currentTimeMillis() + 20_000;
        while (!gateway.followed("node-a") && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(gateway.followed("node-a"), "the gateway follows the node's journal");
        assertEquals(4, gateway.listMachines().size());
    }

    @AfterEach
    void tearDown() throws Exception {
        gateway.deactivate();
        link.close();
        demo.close();
    }

    @Test
    void aChangeOnTheNodeIsPushedNotPolled() throws Exception {
        demo.hypervisor().powerOff(DemoHypervisor.DESKTOP_02);   // on the node, behind the gateway's back
        long deadline = System.currentTimeMillis() + 10_000;
        while (events.stream().noneMatch(e -> e.type() == MachineEvent.Type.STOPPED)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(events.contains(new MachineEvent(DemoHypervisor.DESKTOP_02, "desktop-02", MachineEvent.Type.STOPPED)),
                "the node's STOPPED arrived without a poll: " + events);
        assertEquals(MachineState.SHUT_OFF, gateway.machine(DemoHypervisor.DESKTOP_02).orElseThrow().state());
        assertEquals(MachineState.SHUT_OFF, gateway.listMachines().stream()
                .filter(m -> m.uuid().equals(DemoHypervisor.DESKTOP_02)).findFirst().orElseThrow().state());
    }

    /** What a Get reads: the VM, its hardware, a stored state. */
    void get(String uuid) throws HypervisorException {
        gateway.machine(uuid).orElseThrow();
        gateway.hardware(uuid);
        gateway.readState(uuid, "test.settings", Set.of());
    }

    @Test
    void aGetCostsAtMostOneCallToTheNodeAndARepeatedOneNone() throws Exception {
        get(DemoHypervisor.DESKTOP_01);   // the gateway learns which reads a request makes
        requests.set(0);
        get(DemoHypervisor.KIOSK);
        assertEquals(1, requests.get(), "a VM's first Get: its reads in one call");
        get(DemoHypervisor.KIOSK);
        get(DemoHypervisor.DESKTOP_01);
        assertEquals(1, requests.get(), "a repeated Get is answered from what the node's journal keeps current");

        gateway.setOnlineVcpus(DemoHypervisor.DESKTOP_01, 1);   // a change: one call, and what was kept goes
        assertEquals(2, requests.get());
        assertEquals(1, gateway.machine(DemoHypervisor.DESKTOP_01).orElseThrow().onlineVcpus());
    }

    @Test
    void aStateWrittenThroughAnotherGatewayIsSeen() throws Exception {
        assertEquals(0, gateway.readState(DemoHypervisor.KIOSK, "test.settings", Set.of()).generation());
        NodeHypervisor other = link.gateway(served.address(), "node-a", 3000);
        long generation = other.writeState(DemoHypervisor.KIOSK, "test.settings", 0, "{\"x\":1}", Set.of());
        long deadline = System.currentTimeMillis() + 10_000;
        while (gateway.readState(DemoHypervisor.KIOSK, "test.settings", Set.of()).generation() != generation
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("{\"x\":1}", gateway.readState(DemoHypervisor.KIOSK, "test.settings", Set.of()).json(),
                "the other gateway's write dropped this gateway's kept answer");
        HypervisorException stale = assertThrows(HypervisorException.class, () -> gateway.writeState(
                DemoHypervisor.KIOSK, "test.settings", 0, "{\"x\":2}", Set.of()));
        assertEquals(HypervisorException.Reason.CONFLICT, stale.reason());
    }

    @Test
    void aHeldCallMayOutlastTheCallTimeout() throws Exception {
        NodeHypervisor impatient = link.gateway(served.address(), "node-a", 1000);
        NodeHypervisor.Changes start = impatient.changes(null, 0, 0);
        long t = System.nanoTime();
        NodeHypervisor.Changes page = impatient.changes(start.epoch(), start.next(), 2500);
        assertTrue(System.nanoTime() - t >= 2_000_000_000L, "held for its hold, not cut at the 1 s call timeout");
        assertTrue(page.changes().isEmpty() && !page.resync());
    }

    @Test
    void heldCallsAreNotBatched() throws Exception {
        List<LinkCodec.Answer> answers = LinkCodec.readAnswers(export.calls(LinkCodec.writeCalls(List.of(
                LinkCodec.Call.of("changes", null, 0L, 10_000L), LinkCodec.Call.of("changes", null, 0L, 10_000L),
                LinkCodec.Call.of("nodeId")))));
        assertEquals(HypervisorException.Reason.INVALID_ARGUMENT, answers.get(0).reason());
        assertEquals(HypervisorException.Reason.INVALID_ARGUMENT, answers.get(1).reason());
        assertEquals("node-a", answers.get(2).result().asText());
    }

    @Test
    void aNodeThatDiesFaultsInsteadOfAnsweringFromWhatWasKept() throws Exception {
        get(DemoHypervisor.DESKTOP_01);
        get(DemoHypervisor.DESKTOP_01);
        served.close();
        long deadline = System.currentTimeMillis() + 10_000;
        HypervisorException fault = null;
        while (fault == null && System.currentTimeMillis() < deadline) {
            try {
                gateway.hardware(DemoHypervisor.DESKTOP_01);
                Thread.sleep(20);
            } catch (HypervisorException e) {
                fault = e;
            }
        }
        assertTrue(fault != null, "reads fault once the node's journal cannot be followed");
        assertEquals(HypervisorException.Reason.UNAVAILABLE, fault.reason());
    }
}
