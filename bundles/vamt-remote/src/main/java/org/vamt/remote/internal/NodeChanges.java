package org.vamt.remote.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.remote.NodeHypervisor.Change;
import org.vamt.remote.NodeHypervisor.Changes;

/**
 * A node's journal of VM changes for its gateways: libvirt's lifecycle events (as a
 * {@link MachineListener}) and the calls through the link that changed a VM. Gateways read it with
 * held calls ({@link #after}), which answer the moment something is added. The journal keeps the last
 * {@code capacity} changes; a gateway that fell further behind, or that read another epoch (this node
 * restarted), is told to resync.
 */
final class NodeChanges implements MachineListener {
    /** Longest a gateway's call is held here; below any sensible call timeout. */
    static final long MAX_HOLD_MILLIS = 25_000;

    /** Changes in one answer at most (a start of 1,000 VMs is a few pages, not one huge answer). */
    static final int MAX_PAGE = 2_000;

    private final String epoch = UUID.randomUUID().toString();
    private final int capacity;
    private final Function<String, MachineInfo> reader;
    private final ArrayDeque<Change> journal = new ArrayDeque<>();
    /** Sequence number of the last change added; the first is 1. */
    private long last;
    private boolean closed;

    /** @param reader the VM as it is now (null when gone or unreadable), stored with each change */
    NodeChanges(int capacity, Function<String, MachineInfo> reader) {
        this.capacity = Math.max(1, capacity);
        this.reader = reader;
    }

    String epoch() {
        return epoch;
    }

    @Override
    public void machineChanged(MachineEvent event) {
        MachineInfo now = event.type() == MachineEvent.Type.UNDEFINED ? null : reader.apply(event.uuid());
        add(event.uuid(), event.name(), event.type(), now);
    }

    /** A call through the link changed this VM: gateways drop what they cached about it. */
    void changedByCall(String uuid) {
        add(uuid, null, null, reader.apply(uuid));
    }

    private synchronized void add(String uuid, String name, MachineEvent.Type type, MachineInfo machine) {
        if (closed) {
            return;
        }
        String known = name != null ? name : machine != null ? machine.name() : null;
        journal.addLast(new Change(++last, uuid, known, type, machine));
        while (journal.size() > capacity) {
            journal.removeFirst();
        }
        notifyAll();
    }

    /**
     * The changes after {@code after} of {@code epoch}; waits up to {@code holdMillis} for one. A
     * resync page (and where to continue) when the gateway's place is not in this journal.
     */
    Changes after(String askedEpoch, long after, long holdMillis) throws InterruptedException {
        long deadline = System.nanoTime() + Math.min(Math.max(0, holdMillis), MAX_HOLD_MILLIS) * 1_000_000;
        synchronized (this) {
            long oldest = journal.isEmpty() ? last + 1 : journal.peekFirst().seq();
            if (!epoch.equals(askedEpoch) || after > last || after < oldest - 1) {
                return new Changes(epoch, last, true, List.of());
            }
            while (last == after && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(Math.max(1, left / 1_000_000));
            }
            if (!journal.isEmpty() && after < journal.peekFirst().seq() - 1) {
                return new Changes(epoch, last, true, List.of());   // dropped while we waited
            }
            List<Change> page = new ArrayList<>();
            for (Change c : journal) {
                if (c.seq() > after) {
                    page.add(c);
                    if (page.size() == MAX_PAGE) {
                        break;
                    }
                }
            }
            return new Changes(epoch, page.isEmpty() ? after : page.get(page.size() - 1).seq(), false, page);
        }
    }

    /** Releases the held calls (the node is going away). */
    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
