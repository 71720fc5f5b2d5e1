package org.vamt.remote;

import java.time.Instant;
import java.util.List;
import org.vamt.hypervisor.MachineInfo;

/** The gateway's view of its nodes, for the shell and for diagnostics. */
public interface RemoteNodes {

    enum Status {
        /** Imported and its last call answered. */
        CONNECTED,
        /** Imported, but its last call failed: its VMs fault until it answers again. */
        UNREACHABLE,
        /** No longer announced in discovery: its VMs fault until it comes back. */
        GONE
    }

    /**
     * @param id          the node id
     * @param endpoint    where its hypervisor is served (the remote endpoint id), or null when gone
     * @param status      see {@link Status}
     * @param lastContact the last successful call to it, or null if none yet
     * @param machines    its VMs as last seen (kept while it is unreachable or gone)
     * @param problem     the last failure, or null
     * @param pushed      its change journal is followed: its events are pushed and its reads are kept; false
     *                    while the gateway reads its VM list every poll (after a lost link, or an older node)
     */
    record Node(String id, String endpoint, Status status, Instant lastContact, List<MachineInfo> machines,
                String problem, boolean pushed) {
    }

    List<Node> nodes();
}
