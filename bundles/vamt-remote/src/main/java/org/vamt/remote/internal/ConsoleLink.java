package org.vamt.remote.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import org.vamt.remote.internal.link.LinkTls;

/**
 * The console link between a gateway and a node: one mutual-TLS connection per SOL or KVM
 * session, carrying one VM's serial console (or VNC display) both ways. The gateway keeps
 * everything AMT-facing (redirection listener, Digest, grants, audit); only the console's bytes
 * cross this link.
 *
 * <p>IDE-R media go the other way round (the NBD server is the gateway's, the client is the node's
 * QEMU), but the connections are still opened by the gateway: a MEDIA stream opens a <em>media door</em>
 * on the node, a one-use-per-medium loopback listener for the VM's QEMU; the node answers the door's
 * port and a random token in the first DATA frame, then sends a connection number (4 bytes) on that
 * stream for every connection QEMU makes to the door. The gateway opens a MEDIA_CONNECTION stream
 * for each (same VM, the token, the number) and relays it to its own NBD server. Closing the MEDIA
 * stream (either side, or silence) closes the door and its connections.
 *
 * <p>Wire format, after the TLS handshake (client certificate required, site CA only):
 * <pre>
 *   gateway → node   "VAMTCON1", kind (1 byte: 1 serial, 2 VNC, 3 media door, 4 media connection),
 *                    VM uuid (modified UTF-8, ≤ 64); kind 4 adds the door's token (UTF) and the
 *                    connection number (int)
 *   node → gateway   0 = open; else 1, the HypervisorException reason name, a message (UTF)
 *   then both ways   frames: DATA (0, unsigned short length, bytes) or PING (1)
 * </pre>
 * Each side sends a PING every {@code heartbeatMillis} and gives up on a peer silent for
 * {@link #silenceLimit}: a node (or gateway) that vanishes without closing its socket ends the
 * stream within that bound, not after TCP's hours-long keepalive.
 */
final class ConsoleLink {
    static final byte[] MAGIC = "VAMTCON1".getBytes(StandardCharsets.US_ASCII);
    static final int KIND_SERIAL = 1;
    static final int KIND_VNC = 2;
    static final int KIND_MEDIA = 3;
    static final int KIND_MEDIA_CONNECTION = 4;
    /** Length of a media door's token: 128 random bits in hex. */
    static final int TOKEN_LENGTH = 32;
    static final int STATUS_OPEN = 0;
    static final int STATUS_REFUSED = 1;
    static final int FRAME_DATA = 0;
    static final int FRAME_PING = 1;
    /** Largest DATA payload: fits the unsigned short length. */
    static final int MAX_FRAME = 16 * 1024;
    static final int MAX_UUID = 64;

    private ConsoleLink() {
    }

    /** How long a peer may stay silent (no frame, not even a PING) before the stream counts as dead. */
    static int silenceLimit(int heartbeatMillis) {
        return heartbeatMillis * 3;
    }

    /** The id the peer's certificate names (its CN): the node or gateway the site CA issued it to. */
    static String peerId(SSLSocket socket) throws SSLPeerUnverifiedException {
        Certificate[] chain = socket.getSession().getPeerCertificates();
        String id = chain.length > 0 && chain[0] instanceof X509Certificate cert ? LinkTls.peerId(cert) : "";
        if (id.isEmpty()) {
            throw new SSLPeerUnverifiedException("the peer's certificate names no peer (no CN)");
        }
        return id;
    }

    /** The byte stream of one open link, framed; writes may come from several threads. */
    static final class Framed {
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private byte[] pending = new byte[0];
        private int pendingOffset;

        Framed(Socket socket, InputStream in, OutputStream out) {
            this.socket = socket;
            this.in = new DataInputStream(in);
            this.out = new DataOutputStream(out);
        }

        /**
         * The next payload bytes into {@code buffer}; PINGs are skipped. -1 when the peer closed.
         * A peer silent past the socket's read timeout throws {@link SocketTimeoutException}.
         */
        int read(byte[] buffer, int offset, int length) throws IOException {
            while (pendingOffset >= pending.length) {
                int type;
                try {
                    type = in.read();
                } catch (IOException e) {
                    if (socket.isClosed()) {
                        return -1;
                    }
                    throw e;
                }
                if (type < 0) {
                    return -1;
                }
                if (type == FRAME_PING) {
                    continue;
                }
                if (type != FRAME_DATA) {
                    throw new IOException("console link: unknown frame type " + type);
                }
                int n = in.readUnsignedShort();
                pending = new byte[n];
                pendingOffset = 0;
                try {
                    in.readFully(pending);
                } catch (EOFException e) {
                    return -1;
                }
            }
            int n = Math.min(length, pending.length - pendingOffset);
            System.arraycopy(pending, pendingOffset, buffer, offset, n);
            pendingOffset += n;
            return n;
        }

        void write(byte[] data, int offset, int length) throws IOException {
            while (length > 0) {
                int n = Math.min(length, MAX_FRAME);
                synchronized (out) {
                    out.writeByte(FRAME_DATA);
                    out.writeShort(n);
                    out.write(data, offset, n);
                    out.flush();
                }
                offset += n;
                length -= n;
            }
        }

        void ping() throws IOException {
            synchronized (out) {
                out.writeByte(FRAME_PING);
                out.flush();
            }
        }

        void close() {
            try {
                // an SSLSocket's close waits for the peer's close_notify for up to the read timeout:
                // from a peer that went silent, that would double the bound
                socket.setSoTimeout(50);
            } catch (IOException e) {
                // already closed
            }
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
        }

        boolean isClosed() {
            return socket.isClosed();
        }
    }

    /** Reads exactly {@code length} payload bytes; EOFException when the peer closed before. */
    static byte[] readFully(Framed link, int length) throws IOException {
        byte[] b = new byte[length];
        for (int at = 0; at < length; ) {
            int n = link.read(b, at, length - at);
            if (n < 0) {
                throw new EOFException("console link closed");
            }
            at += n;
        }
        return b;
    }

    static boolean isMagic(byte[] b) {
        return Arrays.equals(b, MAGIC);
    }
}
