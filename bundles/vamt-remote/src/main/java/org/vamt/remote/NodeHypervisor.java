package org.vamt.remote;

import org.vamt.hypervisor.Hypervisor;

/**
 * One hypervisor host's {@link Hypervisor}, exported by a node and imported by gateways. A separate
 * interface, so an imported node is never bound by a provider that wants the (composite) local
 * hypervisor. Every argument and result is serializable; {@code Optional} results travel as a
 * nullable value.
 */
public interface NodeHypervisor extends Hypervisor {
    /** Service property carrying the node's id (unique per site, e.g. the host name). */
    String NODE_ID = "vamt.node.id";

    /** The node's id, as in {@link #NODE_ID}. */
    String nodeId();

    /**
     * Where this node's console link listens ("host:port"; mutual TLS with the site's link
     * certificates): the gateway opens SOL and KVM streams of this node's VMs there. Null when the
     * node has no console link.
     */
    default String consoleLink() throws org.vamt.hypervisor.HypervisorException {
        return null;
    }
}
