package org.vamt.remote.internal;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.SerialConsole;

/**
 * The node's end of the {@link ConsoleLink}: a TLS listener on the management address that
 * requires a client certificate of the site CA, and relays one VM's serial console (or VNC
 * display) per connection to the gateway that asked, or opens a media door for its IDE-R medium
 * ({@link MediaDoors}). A VM this node does not have is refused.
 */
final class ConsoleLinkServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleLinkServer.class);
    private static final int MAX_SESSIONS = 64;
    private static final int REQUEST_TIMEOUT_MILLIS = 5_000;

    private final Hypervisor local;
    /** IDE-R media of gateways: loopback doors for the VMs' QEMU. */
    final MediaDoors media;
    private final SSLServerSocket socket;
    private final int heartbeatMillis;
    private final int connectTimeoutMillis;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "vamt-console-link");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore sessions = new Semaphore(MAX_SESSIONS);
    /** Open connections, closed with the server: a thread blocked reading one ignores interrupts. */
    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param tls key managers of this node's link certificate, trust managers of the site CA only
     * @param heartbeatMillis how often each side pings; a peer silent three times that long is dropped
     */
    ConsoleLinkServer(Hypervisor local, String bindAddress, int port, SSLContext tls, int heartbeatMillis,
                      int connectTimeoutMillis) throws IOException {
        InetAddress address = InetAddress.getByName(bindAddress);
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("refusing to serve consoles on the wildcard address " + bindAddress
                    + ": set bindAddress to the management address");
        }
        this.local = local;
        this.media = new MediaDoors(local, REQUEST_TIMEOUT_MILLIS);
        this.heartbeatMillis = heartbeatMillis;
        this.connectTimeoutMillis = connectTimeoutMillis;
        socket = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
        socket.setNeedClientAuth(true);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(address, port), 50);
        threads.execute(this::acceptLoop);
    }

    int port() {
        return socket.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Console link: accept failed: {}", e.toString());
                }
                continue;
            }
            if (!sessions.tryAcquire()) {
                LOG.warn("Console link: {} sessions open, refusing {}", MAX_SESSIONS, s.getRemoteSocketAddress());
                closeQuietly(s);
                continue;
            }
            try {
                threads.execute(() -> {
                    try {
                        serve((SSLSocket) s);
                    } finally {
                        sessions.release();
                    }
                });
            } catch (RuntimeException stopping) {
                sessions.release();
                closeQuietly(s);
            }
        }
    }

    private void serve(SSLSocket s) {
        open.add(s);
        String peer = String.valueOf(s.getRemoteSocketAddress());
        try {
            s.setSoTimeout(REQUEST_TIMEOUT_MILLIS);
            s.setTcpNoDelay(true);
            s.startHandshake();
            String peerId = ConsoleLink.peerId(s);
            peer = peerId + " (" + peer + ")";
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] magic = new byte[ConsoleLink.MAGIC.length];
            in.readFully(magic);
            if (!ConsoleLink.isMagic(magic)) {
                LOG.warn("Console link: {} does not speak the console link protocol", peer);
                return;
            }
            int kind = in.readUnsignedByte();
            String uuid = in.readUTF();
            String token = null;
            int connection = -1;
            if (kind == ConsoleLink.KIND_MEDIA_CONNECTION) {
                token = in.readUTF();
                connection = in.readInt();
            }
            Closeable stream;
            ConsoleLink.Framed link = new ConsoleLink.Framed(s, in, out);
            try {
                // a media connection is checked against its door (opened for a VM this node has): no
                // hypervisor call here, it comes while the insert that made QEMU connect still runs
                if (uuid.length() > ConsoleLink.MAX_UUID
                        || kind != ConsoleLink.KIND_MEDIA_CONNECTION && local.machine(uuid).isEmpty()) {
                    throw new HypervisorException(Reason.NOT_FOUND, "this node has no VM " + uuid);
                }
                stream = switch (kind) {
                    case ConsoleLink.KIND_SERIAL -> local.openConsole(uuid);
                    case ConsoleLink.KIND_VNC -> openDisplay(uuid);
                    case ConsoleLink.KIND_MEDIA -> media.open(uuid, peerId);
                    case ConsoleLink.KIND_MEDIA_CONNECTION -> media.claim(token, uuid, peerId, connection);
                    default -> throw new HypervisorException(Reason.INVALID_ARGUMENT, "unknown stream kind " + kind);
                };
            } catch (HypervisorException e) {
                LOG.info("Console link: {} asked for {} of VM {}: refused, {}", peer, kindName(kind), uuid,
                        e.getMessage());
                out.writeByte(ConsoleLink.STATUS_REFUSED);
                out.writeUTF(e.reason().name());
                out.writeUTF(String.valueOf(e.getMessage()));
                out.flush();
                return;
            }
            open.add(stream);
            try {
                out.writeByte(ConsoleLink.STATUS_OPEN);
                out.flush();
                s.setSoTimeout(ConsoleLink.silenceLimit(heartbeatMillis));
                if (stream instanceof MediaDoors.Door door) {
                    LOG.info("Console link: media door of VM {} open for {} at 127.0.0.1:{}", uuid, peer, door.port());
                    door.serve(link, heartbeatMillis);
                } else {
                    LOG.info("Console link: {} of VM {} open for {}", kindName(kind), uuid, peer);
                    relay(link, stream);
                }
                LOG.info("Console link: {} of VM {} for {} ended", kindName(kind), uuid, peer);
            } finally {
                open.remove(stream);
                closeQuietly(stream);
            }
        } catch (IOException e) {
            if (!closed) {
                // a peer without a site-CA certificate ends here, in the handshake
                LOG.info("Console link: {} dropped: {}", peer, e.getMessage() != null ? e.getMessage() : e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("Console link: {} failed", peer, e);
        } finally {
            open.remove(s);
            closeQuietly(s);
        }
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case ConsoleLink.KIND_SERIAL -> "serial console";
            case ConsoleLink.KIND_VNC -> "VNC display";
            case ConsoleLink.KIND_MEDIA -> "media door";
            case ConsoleLink.KIND_MEDIA_CONNECTION -> "media connection";
            default -> "stream " + kind;
        };
    }

    /** The VM's VNC display as a connected socket, wrapped like a serial console. */
    private Closeable openDisplay(String uuid) throws HypervisorException {
        Optional<InetSocketAddress> display = local.vncDisplay(uuid);
        if (display.isEmpty()) {
            throw new HypervisorException(Reason.NOT_FOUND, "VM " + uuid + " has no VNC display");
        }
        Socket vnc = new Socket();
        try {
            vnc.connect(display.get(), connectTimeoutMillis);
            vnc.setTcpNoDelay(true);
            return vnc;
        } catch (IOException e) {
            closeQuietly(vnc);
            throw new HypervisorException(Reason.UNAVAILABLE, "VNC display of VM " + uuid + " at " + display.get()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Both directions until either ends; a PING every heartbeat keeps the gateway's read bound honest. */
    private void relay(ConsoleLink.Framed link, Closeable stream) throws IOException {
        Thread toGateway = new Thread(() -> {
            byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
            try {
                if (stream instanceof SerialConsole console) {
                    int n;
                    while ((n = console.read(buffer)) >= 0) {
                        link.write(buffer, 0, n);
                    }
                } else {
                    InputStream display = ((Socket) stream).getInputStream();
                    int n;
                    while ((n = display.read(buffer)) >= 0) {
                        link.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                LOG.debug("Console link: stream to the gateway ended: {}", e.getMessage());
            } finally {
                link.close();
                closeQuietly(stream);
            }
        }, "vamt-console-link-out");
        toGateway.setDaemon(true);
        toGateway.start();
        Thread pinger = pinger(link, heartbeatMillis);
        try {
            OutputStream display = stream instanceof Socket vnc ? vnc.getOutputStream() : null;
            byte[] buffer = new byte[ConsoleLink.MAX_FRAME];
            int n;
            while ((n = link.read(buffer, 0, buffer.length)) >= 0) {
                if (display != null) {
                    display.write(buffer, 0, n);
                    display.flush();
                } else {
                    ((SerialConsole) stream).write(buffer, 0, n);
                }
            }
        } catch (SocketException e) {
            LOG.debug("Console link: stream from the gateway ended: {}", e.getMessage());
        } finally {
            pinger.interrupt();
            closeQuietly(stream);
            link.close();
        }
    }

    /** Pings the peer every heartbeat until the link closes; its own thread, so a stuck write delays no one else. */
    static Thread pinger(ConsoleLink.Framed link, int heartbeatMillis) {
        Thread t = new Thread(() -> {
            try {
                while (!link.isClosed()) {
                    Thread.sleep(heartbeatMillis);
                    link.ping();
                }
            } catch (IOException | InterruptedException e) {
                // the link ended
            }
        }, "vamt-console-link-ping");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(socket);
        open.forEach(ConsoleLinkServer::closeQuietly);
        media.close();
        threads.shutdownNow();
    }
}
