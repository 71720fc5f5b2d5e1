package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.remote.NodeHypervisor.Changes;

class NodeChangesTest {
    static MachineInfo vm(String uuid) {
        return new MachineInfo(uuid, "vm-" + uuid, MachineState.RUNNING, 1, 2, 1024);
    }

    final NodeChanges journal = new NodeChanges(3, NodeChangesTest::vm);

    @Test
    void aGatewayFromAnotherEpochIsToldToResync() throws Exception {
        journal.machineChanged(new MachineEvent("a", "vm-a", MachineEvent.Type.STARTED));
        Changes first = journal.after(null, 0, 0);
        assertTrue(first.resync());
        assertEquals(1, first.next());
        assertEquals(journal.epoch(), first.epoch());
        Changes restarted = journal.after("an-earlier-run", 1, 0);
        assertTrue(restarted.resync(), "the node restarted: its journal is a new one");
    }

    @Test
    void aHeldCallIsAnsweredWhenSomethingChanges() throws Exception {
        Changes start = journal.after(null, 0, 0);
        CompletableFuture<Changes> held = CompletableFuture.supplyAsync(() -> {
            try {
                return journal.after(start.epoch(), start.next(), 20_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.TimeoutException.class,
                () -> held.get(200, TimeUnit.MILLISECONDS), "nothing changed: the call is held");
        journal.changedByCall("b");
        Changes page = held.get(5, TimeUnit.SECONDS);
        assertFalse(page.resync());
        assertEquals(1, page.changes().size());
        assertNull(page.changes().get(0).type(), "a change through the link has no lifecycle type");
        assertEquals("vm-b", page.changes().get(0).machine().name());
        assertEquals(1, page.next());
    }

    @Test
    void aHeldCallEndsEmptyAfterItsHold() throws Exception {
        Changes start = journal.after(null, 0, 0);
        long t = System.nanoTime();
        Changes page = journal.after(start.epoch(), start.next(), 300);
        assertTrue(System.nanoTime() - t >= 250_000_000L, "held for the hold time");
        assertTrue(page.changes().isEmpty());
        assertEquals(start.next(), page.next());
    }

    @Test
    void aGatewayThatFellBehindTheJournalIsToldToResync() throws Exception {
        Changes start = journal.after(null, 0, 0);
        for (String uuid : new String[] {"a", "b", "c", "d"}) {
            journal.changedByCall(uuid);
        }
        assertTrue(journal.after(start.epoch(), start.next(), 0).resync(), "change 1 was dropped (capacity 3)");
        Changes page = journal.after(start.epoch(), 1, 0);
        assertFalse(page.resync());
        assertEquals(3, page.changes().size());
        journal.machineChanged(new MachineEvent("a", "vm-a", MachineEvent.Type.UNDEFINED));
        Changes last = journal.after(start.epoch(), page.next(), 0);
        assertNull(last.changes().get(0).machine(), "an undefined VM is not read");
    }
}
