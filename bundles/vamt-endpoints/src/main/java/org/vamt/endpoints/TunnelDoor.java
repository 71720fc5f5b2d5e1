package org.vamt.endpoints;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The door of the VM endpoints for byte streams that did not arrive on one of vAMT's own
 * listeners: a CIRA channel (an MPS tunnels a console's TCP connection to one VM's AMT port).
 * The stream is served by the same HTTP stack, door, Digest realm, users, grants, limits and audit
 * as a direct connection to that VM's endpoint; only the routing differs: by the VM named here,
 * not by the local address, port or Host header (which in a tunnel name the MPS's own node id).
 */
public interface TunnelDoor {

    /** The plain WS-Management port of AMT. */
    int HTTP_PORT = 16992;
    /** WS-Management over TLS (the TLS handshake runs inside the stream). */
    int TLS_PORT = 16993;

    /**
     * Opens a connection to VM {@code vmUuid}'s AMT service on {@code port}; empty when that VM has
     * no endpoint or that port is not served through a tunnel (then the caller refuses the channel).
     *
     * @param peer   who the stream comes from (the MPS): the client address of audit records, logs
     *               and the per-source connection caps
     * @param toPeer where the connection's output goes; called on the door's threads
     */
    Optional<Stream> open(String vmUuid, int port, InetSocketAddress peer, Sink toPeer);

    /** The caller's side: bytes for the peer, and the end of the connection. */
    interface Sink {
        /** Bytes to send to the peer, in order; the buffer is only valid during the call. */
        void send(ByteBuffer bytes);

        /** The door closed the connection (after an answer with Connection: close, an idle timeout…). */
        void closed();
    }

    /** The door's side of one open connection. */
    interface Stream {
        /** Bytes from the peer, in order (copied; the caller may reuse the buffer). */
        void received(ByteBuffer bytes);

        /** The peer closed the connection (CHANNEL_CLOSE); nothing more arrives. */
        void close();
    }
}
