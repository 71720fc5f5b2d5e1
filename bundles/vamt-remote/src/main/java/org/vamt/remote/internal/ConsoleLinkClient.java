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
        ConsoleLink.Framed link = open(address, nodeId, ConsoleLink.KIND_SERIAL, uuid);
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
        ConsoleLink.Framed link = open(address, nodeId, ConsoleLink.KIND_VNC, uuid);
        java.net.ServerSocket door;
        try {
            door = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
            door.setSoTimeout(openTimeoutMillis);
        } catch (IOException e) {
            link.close();
            throw new HypervisorException(Reason.FAILED, "no loopback port for the VNC display: " + e.getMessage(), e);
        }
        Thread relay = new Thread(() -> {
            Thread pinger = null;
            try (door; java.net.Socket viewer = door.accept()) {
                door.close();
                viewer.setTcpNoDelay(true);
                pinger = ConsoleLinkServer.pinger(link, heartbeatMillis);
                Thread toNode = new Thread(() -> {
                    byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
                    try {
                        int n;
                        while ((n = viewer.getInputStream().read(buffer)) >= 0) {
                            link.write(buffer, 0, n);
                        }
                    } catch (IOException e) {
                        // either side ended
                    } finally {
                        link.close();
                    }
                }, "vamt-console-link-vnc-in");
                toNode.setDaemon(true);
                toNode.start();
                byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
                java.io.OutputStream out = viewer.getOutputStream();
                int n;
                while ((n = link.read(buffer, 0, buffer.length)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // nobody came in time, the node went silent, or the viewer left
            } finally {
                if (pinger != null) {
                    pinger.interrupt();
                }
                link.close();
            }
        }, "vamt-console-link-vnc-out");
        relay.setDaemon(true);
        relay.start();
        return new InetSocketAddress(door.getInetAddress(), door.getLocalPort());
    }

    private ConsoleLink.Framed open(String address, String nodeId, int kind, String uuid) throws HypervisorException {
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
