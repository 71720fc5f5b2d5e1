package org.vamt.remote;

import org.vamt.hypervisor.Hypervisor;

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
}
