package org.vamt.remote.internal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.SerialConsole;

/**
 * The gateway's end of the {@link ConsoleLink}: opens one VM's serial console on the node that
 * serves it, over mutual TLS, and checks that the peer is that node (the CN of its site-CA
 * certificate is the node id), so an address announced by someone else leads nowhere.
 */
final class ConsoleLinkClient {
    private final SSLContext tls;
    private final int connectTimeoutMillis;
    private final int openTimeoutMillis;
    private final int heartbeatMillis;

    /**
     * @param tls key managers of this gateway's link certificate, trust managers of the site CA only
     * @param openTimeoutMillis the longest wait for the TLS handshake and the node's answer
     */
    ConsoleLinkClient(SSLContext tls, int connectTimeoutMillis, int openTimeoutMillis, int heartbeatMillis) {
        this.tls = tls;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.openTimeoutMillis = openTimeoutMillis;
        this.heartbeatMillis = heartbeatMillis;
    }

    /**
     * The serial console of VM {@code uuid} on node {@code nodeId}, whose console link listens at
     * {@code address} ("host:port"). Failures keep the node's reason (NOT_FOUND, INVALID_STATE…);
     * a node that cannot be reached or is not who it should be is UNAVAILABLE.
     */
    SerialConsole openConsole(String address, String nodeId, String uuid) throws HypervisorException {
        ConsoleLink.Framed link = open(address, nodeId, ConsoleLink.KIND_SERIAL, uuid, null, 0);
        Thread pinger = ConsoleLinkServer.pinger(link, heartbeatMillis);
        return new SerialConsole() {
            @Override
            public int read(byte[] buffer) throws IOException {
                try {
                    return link.read(buffer, 0, buffer.length);
                } catch (SocketTimeoutException e) {
                    link.close();
                    throw new IOException("node '" + nodeId + "' silent for "
                            + ConsoleLink.silenceLimit(heartbeatMillis) + " ms; console link dropped", e);
                }
            }

            @Override
            public void write(byte[] data, int offset, int length) throws IOException {
                link.write(data, offset, length);
            }

            @Override
            public void close() {
                pinger.interrupt();
                link.close();
            }
        };
    }

    /**
     * KVM: the VNC display of VM {@code uuid} on node {@code nodeId}, reachable at the returned
     * loopback address for one connection (the redirection layer's RFB client connects to it right
     * away; it is closed after {@code openTimeoutMillis} if nobody came). The display's bytes cross
     * the console link. Same exposure as all-in-one, where QEMU's own display listens on loopback.
     */
    InetSocketAddress openDisplay(String address, String nodeId, String uuid) throws HypervisorException {
        ConsoleLink.Framed link = open(address, nodeId, ConsoleLink.KIND_VNC, uuid, null, 0);
        java.net.ServerSocket door;
        try {
            door = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
            door.setSoTimeout(openTimeoutMillis);
        } catch (IOException e) {
            link.close();
            throw new HypervisorException(Reason.FAILED, "no loopback port for the VNC display: " + e.getMessage(), e);
        }
        Thread relay = new Thread(() -> {
            try (door; java.net.Socket viewer = door.accept()) {
                door.close();
                relay(link, viewer, heartbeatMillis);
            } catch (IOException e) {
                // nobody came in time
            } finally {
                link.close();
            }
        }, "vamt-console-link-vnc-out");
        relay.setDaemon(true);
        relay.start();
        return new InetSocketAddress(door.getInetAddress(), door.getLocalPort());
    }

    /**
     * Both ways between an open link and a local socket until either ends (then both are closed); pings
     * the node meanwhile. Runs in the calling thread (and one more for the other direction).
     */
    static void relay(ConsoleLink.Framed link, java.net.Socket local, int heartbeatMillis) {
        Thread pinger = ConsoleLinkServer.pinger(link, heartbeatMillis);
        Thread toNode = new Thread(() -> {
            byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
            try {
                java.io.InputStream in = local.getInputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    link.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // either side ended
            } finally {
                link.close();
            }
        }, "vamt-console-link-to-node");
        toNode.setDaemon(true);
        toNode.start();
        try {
            local.setTcpNoDelay(true);
            byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
            java.io.OutputStream out = local.getOutputStream();
            int n;
            while ((n = link.read(buffer, 0, buffer.length)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the node went silent, or the local side left
        } finally {
            pinger.interrupt();
            link.close();
            ConsoleLinkServer.closeQuietly(local);
        }
    }

    /**
     * IDE-R: opens a media door for VM {@code uuid} on node {@code nodeId} (a loopback port there for
     * the VM's QEMU, see {@link ConsoleLink}) and relays every connection made to it to the NBD server
     * at {@code server} (this gateway's, loopback). Closing the returned relay closes the door.
     */
    MediaRelay openMedia(String address, String nodeId, String uuid, InetSocketAddress server)
            throws HypervisorException {
        ConsoleLink.Framed control = open(address, nodeId, ConsoleLink.KIND_MEDIA, uuid, null, 0);
        int port;
        String token;
        try {
            byte[] hello = ConsoleLink.readFully(control, 4 + ConsoleLink.TOKEN_LENGTH);
            port = new DataInputStream(new java.io.ByteArrayInputStream(hello)).readInt();
            token = new String(hello, 4, ConsoleLink.TOKEN_LENGTH, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (IOException e) {
            control.close();
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' opened no media door for VM "
                    + uuid + ": " + e.getMessage(), e);
        }
        MediaRelay relay = new MediaRelay(control, port, token, address, nodeId, uuid, server);
        relay.start();
        return relay;
    }

    /** A media door on a node and the relays of its connections to this gateway's NBD server. */
    final class MediaRelay implements AutoCloseable {
        private final ConsoleLink.Framed control;
        private final int port;
        private final String token;
        private final String address;
        private final String nodeId;
        private final String uuid;
        private final InetSocketAddress server;
        private final java.util.Set<AutoCloseable> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile boolean closed;

        private MediaRelay(ConsoleLink.Framed control, int port, String token, String address, String nodeId,
                           String uuid, InetSocketAddress server) {
            this.control = control;
            this.port = port;
            this.token = token;
            this.address = address;
            this.nodeId = nodeId;
            this.uuid = uuid;
            this.server = server;
        }

        /** The door's port on the node's 127.0.0.1. */
        int port() {
            return port;
        }

        private void start() {
            Thread pinger = ConsoleLinkServer.pinger(control, heartbeatMillis);
            Thread announcements = new Thread(() -> {
                try {
                    while (!closed) {
                        byte[] b = ConsoleLink.readFully(control, 4);
                        int number = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
                        Thread t = new Thread(() -> connect(number), "vamt-media-relay");
                        t.setDaemon(true);
                        t.start();
                    }
                } catch (IOException e) {
                    // the door closed: node gone or silent, or closed here
                } finally {
                    pinger.interrupt();
                    close();
                }
            }, "vamt-media-door");
            announcements.setDaemon(true);
            announcements.start();
        }

        /** One connection QEMU made to the door, to this gateway's NBD server. */
        private void connect(int number) {
            ConsoleLink.Framed link;
            try {
                link = open(address, nodeId, ConsoleLink.KIND_MEDIA_CONNECTION, uuid, token, number);
            } catch (HypervisorException e) {
                return;   // the node drops the connection it could not hand over
            }
            java.net.Socket nbd = new java.net.Socket();
            AutoCloseable stream = link::close;
            open.add(stream);
            open.add(nbd);
            try {
                if (closed) {
                    return;
                }
                nbd.connect(server, connectTimeoutMillis);
                relay(link, nbd, heartbeatMillis);
            } catch (IOException e) {
                // the NBD server is gone (the IDE-R session ended)
            } finally {
                link.close();
                ConsoleLinkServer.closeQuietly(nbd);
                open.remove(stream);
                open.remove(nbd);
            }
        }

        /** Closes the door on the node and every connection through it. */
        @Override
        public void close() {
            closed = true;
            control.close();
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    // already gone
                }
            }
            open.clear();
        }
    }

    private ConsoleLink.Framed open(String address, String nodeId, int kind, String uuid, String token, int connection)
            throws HypervisorException {
        InetSocketAddress target = parse(address, nodeId);
        SSLSocket s = null;
        try {
            s = (SSLSocket) tls.getSocketFactory().createSocket();
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.connect(target, connectTimeoutMillis);
            s.setSoTimeout(openTimeoutMillis);
            s.setTcpNoDelay(true);
            s.startHandshake();
            String peer = ConsoleLink.peerId(s);
            if (!peer.equals(nodeId)) {
                throw new HypervisorException(Reason.UNAVAILABLE, "console link at " + address + " is '" + peer
                        + "', not node '" + nodeId + "'");
            }
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.write(ConsoleLink.MAGIC);
            out.writeByte(kind);
            out.writeUTF(uuid);
            if (kind == ConsoleLink.KIND_MEDIA_CONNECTION) {
                out.writeUTF(token);
                out.writeInt(connection);
            }
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            int status = in.readUnsignedByte();
            if (status != ConsoleLink.STATUS_OPEN) {
                Reason reason = reason(in.readUTF());
                throw new HypervisorException(reason, "node '" + nodeId + "': " + in.readUTF());
            }
            s.setSoTimeout(ConsoleLink.silenceLimit(heartbeatMillis));
            return new ConsoleLink.Framed(s, in, out);
        } catch (HypervisorException e) {
            ConsoleLinkServer.closeQuietly(s);
            throw e;
        } catch (EOFException e) {
            ConsoleLinkServer.closeQuietly(s);
            throw new HypervisorException(Reason.UNAVAILABLE, "console link of node '" + nodeId + "' at " + address
                    + " closed before answering", e);
        } catch (SSLException e) {
            ConsoleLinkServer.closeQuietly(s);
            throw new HypervisorException(Reason.UNAVAILABLE, "console link of node '" + nodeId + "' at " + address
                    + ": TLS failed (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            ConsoleLinkServer.closeQuietly(s);
            throw new HypervisorException(Reason.UNAVAILABLE, "console link of node '" + nodeId + "' at " + address
                    + ": " + e.getMessage(), e);
        }
    }

    private static Reason reason(String name) {
        try {
            return Reason.valueOf(name);
        } catch (IllegalArgumentException e) {
            return Reason.FAILED;
        }
    }

    private static InetSocketAddress parse(String address, String nodeId) throws HypervisorException {
        int colon = address == null ? -1 : address.lastIndexOf(':');
        if (colon <= 0) {
            throw new HypervisorException(Reason.UNSUPPORTED, "node '" + nodeId + "' offers no console link");
        }
        try {
            String host = address.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' announced a bad console link "
                    + address);
        }
    }
}
