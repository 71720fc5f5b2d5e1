package org.vamt.remote;

import javax.ws.rs.Consumes;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;

/**
 * The link between a node and its gateways, as a remote service: one coarse JAX-RS operation that
 * carries a batch of hypervisor calls and answers them in order, so CXF DOSGi's {@code provider-rs}
 * exports and imports it without a REST copy of the hypervisor SPI. A node registers it with the
 * service property {@link #NODE_ID}; a gateway imports every node's over HTTPS with mutual TLS.
 *
 * <p>Request body (JSON): {@code {"calls":[{"method":"machine","args":["<uuid>"]}, ...]}}. Answer:
 * {@code {"answers":[{"result":<json>} | {"reason":"NOT_FOUND","message":"..."}, ...]}}, one per call.
 * Methods are those of {@code org.vamt.hypervisor.Hypervisor} plus {@code nodeId}; each argument is
 * read as the method's declared parameter type, never as a type the message names.
 */
@Path("/")
public interface NodeLink {
    /** Service property carrying the node's id (unique per site, e.g. the host name). */
    String NODE_ID = "vamt.node.id";
    String JSON = "application/json";

    /** Runs the calls of {@code request} in order; the answers come in the same order. */
    @POST
    @Path("calls")
    @Consumes(JSON)
    @Produces(JSON)
    byte[] calls(byte[] request);
}
