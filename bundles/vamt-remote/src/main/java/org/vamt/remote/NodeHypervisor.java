package org.vamt.remote;

import java.util.List;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;

/**
 * One hypervisor host's {@link Hypervisor} as a gateway sees it: the node's {@link NodeLink}, each
 * call one round trip. A separate interface, so an imported node is never bound by a provider that
 * wants the (composite) local hypervisor. {@code Optional} results travel as a nullable value;
 * failures keep their {@code Reason}, and a link failure is {@code UNAVAILABLE}.
 */
public interface NodeHypervisor extends Hypervisor {
    /** Service property carrying the node's id, as in {@link NodeLink#NODE_ID}. */
    String NODE_ID = NodeLink.NODE_ID;

    /** The node's id. */
    String nodeId();

    /**
     * Where this node's console link listens ("host:port"; mutual TLS with the site's link
     * certificates): the gateway opens SOL and KVM streams of this node's VMs there. Null when the
     * node has no console link.
     */
    default String consoleLink() throws org.vamt.hypervisor.HypervisorException {
        return null;
    }

    /**
     * What changed on this node after change {@code after} of journal {@code epoch}: answers at once
     * when there is something, otherwise holds the call up to {@code holdMillis} and answers as soon as
     * something happens. This is how a node pushes its events to a gateway over the link the gateway
     * already calls (a held request, so no gateway has to accept calls from nodes). {@code resync} when
     * the gateway cannot continue from {@code after} (another epoch: the node restarted; or changes
     * were dropped from the journal): the gateway re-reads the node's VMs and continues from
     * {@code next}.
     */
    default Changes changes(String epoch, long after, long holdMillis) throws HypervisorException {
        throw new HypervisorException(HypervisorException.Reason.UNSUPPORTED, "this node does not push changes");
    }

    /**
     * One change of a VM on a node.
     *
     * @param seq     its place in the node's journal
     * @param type    the lifecycle event; null when the VM was changed by a call through the link (its
     *                settings, state or power), which a gateway's cached answers for it must forget
     * @param machine the VM as the node saw it when the change was journaled; null when it is gone or
     *                could not be read
     */
    record Change(long seq, String uuid, String name, MachineEvent.Type type, MachineInfo machine) {
    }

    /** A page of a node's journal: the changes after the asked one, and where to continue. */
    record Changes(String epoch, long next, boolean resync, List<Change> changes) {
    }
}
