package org.vamt.remote.internal;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.NetworkMedia;

/**
 * The node's end of IDE-R through a gateway ({@link ConsoleLink}, kinds MEDIA and MEDIA_CONNECTION):
 * for each medium a gateway serves to one of this node's VMs, a <em>door</em>, a listener on
 * 127.0.0.1 at a random port for the VM's QEMU, open while the gateway's MEDIA stream is. Each
 * connection QEMU makes (a start, a restart of the VM, QEMU's NBD client reconnecting) is announced
 * on that stream and crosses in a MEDIA_CONNECTION stream of its own, which only the gateway that
 * opened the door can claim (same certificate id, the door's random token). The NBD export name stays
 * the gateway's (random, checked by its NBD server); the door adds no second name.
 *
 * <p>{@link #insert} accepts only a door of this node for that VM, and remembers which door's medium is
 * in each VM's drive: when that door closes without an eject (the gateway died, the link went silent,
 * this node stops), the medium is taken out, so no VM is left reading from a closed port.
 */
final class MediaDoors implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(MediaDoors.class);
    /** Connections of one door at once (QEMU holds one; more is a misbehaving local client). */
    static final int MAX_CONNECTIONS_PER_DOOR = 8;
    static final String LOOPBACK = "127.0.0.1";

    private final Hypervisor local;
    private final int claimTimeoutMillis;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Door> byToken = new ConcurrentHashMap<>();
    /** VM (lower case) → the door whose medium is in its drive; guarded by {@code this}. */
    private final Map<String, Door> inserted = new HashMap<>();

    /** @param claimTimeoutMillis how long a connection QEMU made may wait for the gateway's stream */
    MediaDoors(Hypervisor local, int claimTimeoutMillis) {
        this.local = local;
        this.claimTimeoutMillis = claimTimeoutMillis;
    }

    /** A new door for VM {@code uuid}, asked by gateway {@code peer}. */
    Door open(String uuid, String peer) throws HypervisorException {
        byte[] secret = new byte[ConsoleLink.TOKEN_LENGTH / 2];
        random.nextBytes(secret);
        try {
            Door door = new Door(uuid, peer, HexFormat.of().formatHex(secret));
            byToken.put(door.token, door);
            return door;
        } catch (IOException e) {
            throw new HypervisorException(Reason.FAILED, "no loopback port for an IDE-R medium: " + e.getMessage(), e);
        }
    }

    /** The connection {@code number} of the door {@code token}, for the gateway that opened it; once. */
    Socket claim(String token, String uuid, String peer, int number) throws HypervisorException {
        Door door = token == null ? null : byToken.get(token);
        if (door == null || door.closed || !door.uuid.equalsIgnoreCase(uuid) || !door.peer.equals(peer)) {
            throw new HypervisorException(Reason.NOT_FOUND, "no media door " + abbreviated(token) + " of VM " + uuid
                    + " for " + peer);
        }
        Waiting waiting = door.waiting.remove(number);
        if (waiting == null) {
            throw new HypervisorException(Reason.NOT_FOUND, "media door of VM " + uuid + " has no connection "
                    + number + " waiting");
        }
        return waiting.socket;
    }

    private static String abbreviated(String token) {
        return token == null ? "(none)" : token.length() > 8 ? token.substring(0, 8) + "…" : token;
    }

    /**
     * Puts {@code media} in the VM's drive, if it names a door this node opened for that VM (loopback,
     * its port): media from a gateway can point nowhere else.
     */
    void insert(String uuid, NetworkMedia media) throws HypervisorException {
        Door door = media == null || !LOOPBACK.equals(media.host()) ? null
                : byToken.values().stream().filter(d -> d.port() == media.port()).findFirst().orElse(null);
        if (door == null || !door.uuid.equalsIgnoreCase(uuid)) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "IDE-R media through a gateway must be a media door"
                    + " this node opened for VM " + uuid + " (" + LOOPBACK + ", its port), not " + media);
        }
        synchronized (this) {
            if (door.closed) {
                throw new HypervisorException(Reason.UNAVAILABLE, "the media door of VM " + uuid + " closed");
            }
            local.insertMedia(uuid, media);
            inserted.put(key(uuid), door);
        }
    }

    /** Takes the VM's medium out; its door stays open until the gateway closes it. */
    synchronized void eject(String uuid) throws HypervisorException {
        inserted.remove(key(uuid));
        local.ejectMedia(uuid);
    }

    /** A door closed: if its medium is still in the VM's drive, it goes. */
    private synchronized void closed(Door door) {
        byToken.remove(door.token, door);
        if (inserted.remove(key(door.uuid), door)) {
            try {
                local.ejectMedia(door.uuid);
                LOG.info("Media door of VM {} closed without an eject (gateway {} gone?): medium taken out", door.uuid,
                        door.peer);
            } catch (HypervisorException | RuntimeException e) {
                LOG.warn("Media door of VM {} closed; its medium could not be taken out: {}", door.uuid, e.getMessage());
            }
        }
    }

    private static String key(String uuid) {
        return uuid.toLowerCase(Locale.ROOT);
    }

    /** For tests: the doors open now. */
    int openDoors() {
        return byToken.size();
    }

    @Override
    public void close() {
        byToken.values().forEach(Door::close);
    }

    private record Waiting(Socket socket, long since) {
    }

    /** One medium's loopback listener and its connections. */
    final class Door implements Closeable {
        final String uuid;
        final String peer;
        final String token;
        private final ServerSocket listener;
        private final Map<Integer, Waiting> waiting = new ConcurrentHashMap<>();
        private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
        private int next;
        private volatile boolean closed;

        private Door(String uuid, String peer, String token) throws IOException {
            this.uuid = uuid;
            this.peer = peer;
            this.token = token;
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress(loopback(), 0), MAX_CONNECTIONS_PER_DOOR);
        }

        private static InetAddress loopback() throws UnknownHostException {
            return InetAddress.getByAddress(LOOPBACK, new byte[] {127, 0, 0, 1});
        }

        int port() {
            return listener.getLocalPort();
        }

        /**
         * Serves the door over its MEDIA stream until that ends: the port and token first, then the
         * number of every connection QEMU makes. Nothing but PINGs is expected from the gateway.
         */
        void serve(ConsoleLink.Framed link, int heartbeatMillis) throws IOException {
            ByteArrayOutputStream hello = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(hello);
            d.writeInt(port());
            d.write(token.getBytes(StandardCharsets.US_ASCII));
            link.write(hello.toByteArray(), 0, hello.size());
            Thread acceptor = new Thread(() -> accept(link), "vamt-media-door");
            acceptor.setDaemon(true);
            acceptor.start();
            Thread pinger = ConsoleLinkServer.pinger(link, heartbeatMillis);
            try {
                byte[] ignored = new byte[256];
                while (link.read(ignored, 0, ignored.length) >= 0) {
                    // the gateway has nothing to say on this stream
                }
            } finally {
                pinger.interrupt();
                link.close();
                close();
            }
        }

        private void accept(ConsoleLink.Framed link) {
            try {
                listener.setSoTimeout(Math.max(100, claimTimeoutMillis / 2));   // wakes to drop unclaimed ones
                while (!closed) {
                    dropUnclaimed();
                    Socket s;
                    try {
                        s = listener.accept();
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    connections.removeIf(Socket::isClosed);
                    if (connections.size() >= MAX_CONNECTIONS_PER_DOOR) {
                        LOG.warn("Media door of VM {}: {} connections open, refusing another", uuid,
                                MAX_CONNECTIONS_PER_DOOR);
                        ConsoleLinkServer.closeQuietly(s);
                        continue;
                    }
                    s.setTcpNoDelay(true);
                    connections.add(s);
                    int number = next++;
                    waiting.put(number, new Waiting(s, System.nanoTime()));
                    byte[] announce = {(byte) (number >>> 24), (byte) (number >>> 16), (byte) (number >>> 8),
                            (byte) number};
                    link.write(announce, 0, announce.length);
                    if (closed) {
                        ConsoleLinkServer.closeQuietly(s);   // close() may have missed it
                    }
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.info("Media door of VM {}: {}", uuid, e.getMessage());
                }
            } finally {
                link.close();
            }
        }

        private void dropUnclaimed() {
            long limit = System.nanoTime() - claimTimeoutMillis * 1_000_000L;
            waiting.entrySet().removeIf(e -> {
                if (e.getValue().since() - limit < 0) {
                    LOG.info("Media door of VM {}: connection {} not claimed by the gateway in time; closed", uuid,
                            e.getKey());
                    ConsoleLinkServer.closeQuietly(e.getValue().socket());
                    return true;
                }
                return false;
            });
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            ConsoleLinkServer.closeQuietly(listener);
            connections.forEach(ConsoleLinkServer::closeQuietly);
            waiting.clear();
            closed(this);
        }
    }
}
