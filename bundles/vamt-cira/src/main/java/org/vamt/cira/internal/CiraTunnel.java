package org.vamt.cira.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cira.CiraProfile;
import org.vamt.cira.apf.ApfCodec;
import org.vamt.cira.apf.ApfMessage;
import org.vamt.endpoints.TunnelDoor;

/**
 * One connection of one VM to its MPS: TCP, TLS (the MPS's certificate checked before anything
 * is sent), PROTOCOLVERSION with the VM's UUID, password login, tcpip-forward of AMT's ports, then
 * the MPS's channels served through the endpoints' {@link TunnelDoor}, and the device's keep-alive.
 * {@link #run} is the connection's reader: it returns when the connection ends, and says why to
 * its {@link Listener}. Every APF message is written with one write (one TLS record) of its own.
 */
final class CiraTunnel implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CiraTunnel.class);
    /** The ports AMT forwards; 5900 last (MeshCentral and DMT send keep-alive options after it). */
    static final List<Integer> PORTS = List.of(16992, 16993, 16994, 16995, 623, 664, 5900);
    static final int CONNECT_MILLIS = 10_000;
    /** From TCP connect to the last REQUEST_SUCCESS. */
    static final int LOGIN_MILLIS = 30_000;

    /** What the supervisor hears. */
    interface Listener {
        void connected(CiraTunnel tunnel);

        /**
         * The connection ended.
         *
         * @param error      why, for the log and the shell (null: closed by us)
         * @param trustError the MPS's certificate was refused (nothing was sent)
         */
        void ended(CiraTunnel tunnel, String error, boolean trustError);
    }

    private final String vmUuid;
    private final String vmName;
    private final CiraProfile.Mps mps;
    private final SSLContext tls;
    private final int keepAliveSeconds;
    private final TunnelDoor door;
    private final ScheduledExecutorService timers;
    private final Semaphore handshakes;
    private final Listener listener;
    private final ApfCodec.Decoder decoder = new ApfCodec.Decoder();
    private final Map<Integer, ApfChannel> channels = new ConcurrentHashMap<>();
    private final Map<Integer, TunnelDoor.Stream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger nextChannel = new AtomicInteger(100);
    private final AtomicInteger cookie = new AtomicInteger(1);
    private final Object writeLock = new Object();
    private volatile Socket raw;
    private volatile SSLSocket socket;
    private volatile OutputStream out;
    private volatile boolean closing;
    private volatile boolean loggedIn;
    private int forwardsPending;
    private ScheduledFuture<?> keepAlive;
    private int keepAliveNow;
    private InetSocketAddress peer;

    CiraTunnel(String vmUuid, String vmName, CiraProfile.Mps mps, SSLContext tls, int keepAliveSeconds,
               TunnelDoor door, ScheduledExecutorService timers, Semaphore handshakes, Listener listener) {
        this.vmUuid = vmUuid;
        this.vmName = vmName;
        this.mps = mps;
        this.tls = tls;
        this.keepAliveSeconds = keepAliveSeconds;
        this.door = door;
        this.timers = timers;
        this.handshakes = handshakes;
        this.listener = listener;
    }

    String vmName() {
        return vmName;
    }

    int channels() {
        return channels.size();
    }

    @Override
    public void run() {
        String error = null;
        boolean trustError = false;
        try {
            connect();
            if (!closing) {
                read();
            }
        } catch (SSLHandshakeException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof CertificateException)) {
                cause = cause.getCause();
            }
            trustError = cause instanceof CertificateException;
            error = trustError ? "the MPS's certificate is not trusted: " + cause.getMessage()
                    : "TLS handshake failed: " + e.getMessage();
        } catch (IOException | RuntimeException e) {
            error = closing ? null : describe(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            end();
        }
        listener.ended(this, closing && error == null ? null : error == null ? "the MPS closed the connection"
                : error, trustError);
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e instanceof java.net.SocketTimeoutException ? "no answer from the MPS in time"
                : e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private void connect() throws IOException, InterruptedException {
        Socket raw = new Socket();
        this.raw = raw;
        if (closing) {
            raw.close();
            return;
        }
        try {
            raw.connect(new InetSocketAddress(mps.host(), mps.port()), CONNECT_MILLIS);
            peer = (InetSocketAddress) raw.getRemoteSocketAddress();
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.setSoTimeout(LOGIN_MILLIS);
            handshakes.acquire();
            try {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, mps.host(), mps.port(), true);
                socket = s;
                SSLParameters p = s.getSSLParameters();
                p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                if (!mps.host().matches("[0-9.]+|.*:.*")) {
                    p.setServerNames(List.of(new SNIHostName(mps.host())));
                }
                s.setSSLParameters(p);
                s.startHandshake();
            } finally {
                handshakes.release();
            }
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        out = socket.getOutputStream();
        LOG.debug("CIRA VM '{}': TLS to {} ({})", vmName, mps, socket.getSession().getProtocol());
        // the certificate was accepted: now, and only now, the VM introduces itself and logs in
        write(new ApfMessage.ProtocolVersion(1, 0, ApfMessage.ProtocolVersion.PERIODIC, UUID.fromString(vmUuid)));
        write(new ApfMessage.ServiceRequest(ApfMessage.AUTH_SERVICE));
    }

    private void read() throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[16384];
        while (true) {
            int n = in.read(buf);
            if (n < 0) {
                if (closing) {
                    return;   // the MPS's end after our DISCONNECT
                }
                throw new IOException(loggedIn ? "the MPS closed the connection" : "the MPS closed the connection "
                        + "during the login");
            }
            if (closing) {
                continue;   // drained, not served: unread data would turn our close into a reset
            }
            decoder.feed(buf, 0, n);
            ApfMessage m;
            while ((m = decoder.next()) != null) {
                handle(m);
            }
        }
    }

    private void handle(ApfMessage m) throws IOException {
        LOG.trace("CIRA VM '{}': <- {}", vmName, m);
        if (m instanceof ApfMessage.ServiceAccept a) {
            if (a.service().equals(ApfMessage.AUTH_SERVICE)) {
                write(new ApfMessage.UserAuthRequest(mps.user(), ApfMessage.PFWD_SERVICE, "password", mps.password()));
            } else if (a.service().equals(ApfMessage.PFWD_SERVICE)) {
                forwardsPending = PORTS.size();
                for (int port : PORTS) {
                    decoder.expectReply(true);
                    write(new ApfMessage.GlobalRequest(ApfMessage.TCPIP_FORWARD, true, vmName, port));
                }
            }
        } else if (m instanceof ApfMessage.UserAuthSuccess) {
            loggedIn = true;
            write(new ApfMessage.ServiceRequest(ApfMessage.PFWD_SERVICE));
        } else if (m instanceof ApfMessage.UserAuthFailure) {
            throw new IOException("the MPS refused the login (user name " + mps.user() + " or password)");
        } else if (m instanceof ApfMessage.RequestSuccess) {
            forwarded(true);
        } else if (m instanceof ApfMessage.RequestFailure) {
            forwarded(false);
        } else if (m instanceof ApfMessage.KeepAliveRequest k) {
            write(new ApfMessage.KeepAliveReply(k.cookie()));
        } else if (m instanceof ApfMessage.KeepAliveOptionsRequest o) {
            write(new ApfMessage.KeepAliveOptionsReply(o.intervalSeconds(), o.timeoutSeconds()));
            if (o.intervalSeconds() > 0 && o.intervalSeconds() < keepAliveNow) {
                startKeepAlive(o.intervalSeconds());
            }
        } else if (m instanceof ApfMessage.ChannelOpen o) {
            open(o);
        } else if (m instanceof ApfMessage.ChannelData d) {
            ApfChannel c = channels.get(d.recipient());
            TunnelDoor.Stream s = streams.get(d.recipient());
            if (c == null || s == null) {
                LOG.debug("CIRA VM '{}': data for unknown channel {}", vmName, d.recipient());
                return;
            }
            s.received(ByteBuffer.wrap(d.data()));
            c.consumed(d.data().length);
        } else if (m instanceof ApfMessage.WindowAdjust w) {
            ApfChannel c = channels.get(w.recipient());
            if (c != null) {
                c.adjust(w.bytes());
            }
        } else if (m instanceof ApfMessage.ChannelClose c) {
            ApfChannel ch = channels.remove(c.recipient());
            TunnelDoor.Stream s = streams.remove(c.recipient());
            if (ch != null) {
                ch.closedByPeer();
            }
            if (s != null) {
                s.close();
            }
        } else if (m instanceof ApfMessage.Disconnect d) {
            throw new IOException("the MPS disconnected (reason " + d.reason() + ")");
        } else {
            // KEEPALIVE_REPLY, DMT Console's own PROTOCOLVERSION, MeshCentral's JSON control: nothing to do
            LOG.trace("CIRA VM '{}': {}", vmName, m);
        }
    }

    private void forwarded(boolean ok) throws IOException {
        if (!ok) {
            LOG.info("CIRA VM '{}': the MPS refused a port forward", vmName);
        }
        if (forwardsPending > 0 && --forwardsPending == 0) {
            socket.setSoTimeout(0);
            startKeepAlive(keepAliveSeconds);
            listener.connected(this);
        }
    }

    /** Keep-alive every {@code seconds}; nothing heard for three intervals ends the connection. */
    private synchronized void startKeepAlive(int seconds) throws IOException {
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        keepAliveNow = seconds;
        socket.setSoTimeout(seconds * 3_000 + 5_000);
        keepAlive = timers.scheduleAtFixedRate(() -> {
            try {
                write(new ApfMessage.KeepAliveRequest(cookie.getAndIncrement()));
            } catch (IOException e) {
                LOG.debug("CIRA VM '{}': keep-alive not sent: {}", vmName, e.toString());
            }
        }, seconds, seconds, TimeUnit.SECONDS);
    }

    private void open(ApfMessage.ChannelOpen o) throws IOException {
        if (!ApfMessage.FORWARDED_TCPIP.equals(o.channelType())) {
            write(new ApfMessage.ChannelOpenFailure(o.sender(), ApfMessage.OPEN_UNKNOWN_CHANNEL_TYPE));
            return;
        }
        int id = nextChannel.getAndIncrement();
        ApfChannel channel = new ApfChannel(id, o.sender(), o.connectedPort(), o.window(), this::write);
        Optional<TunnelDoor.Stream> stream = door.open(vmUuid, o.connectedPort(), peer, new TunnelDoor.Sink() {
            @Override
            public void send(ByteBuffer bytes) {
                try {
                    channel.send(bytes);
                } catch (IOException e) {
                    bytes.position(bytes.limit());
                    LOG.debug("CIRA VM '{}': channel {} output dropped: {}", vmName, id, e.getMessage());
                }
            }

            @Override
            public void closed() {
                try {
                    channel.close();
                } catch (IOException e) {
                    LOG.debug("CIRA VM '{}': channel {} close not sent: {}", vmName, id, e.getMessage());
                }
            }
        });
        if (stream.isEmpty()) {
            LOG.debug("CIRA VM '{}': channel to port {} refused (not served through CIRA, or no TLS identity)", vmName,
                    o.connectedPort());
            write(new ApfMessage.ChannelOpenFailure(o.sender(), ApfMessage.OPEN_CONNECT_FAILED));
            return;
        }
        channels.put(id, channel);
        streams.put(id, stream.get());
        channel.confirm(new ApfMessage.ChannelOpenConfirmation(o.sender(), id, ApfChannel.RECEIVE_WINDOW,
                0xFFFFFFFF));
    }

    /** One APF message, one write. */
    void write(ApfMessage m) throws IOException {
        byte[] bytes = ApfCodec.encode(m);
        OutputStream o = out;
        if (o == null) {
            throw new IOException("not connected");
        }
        synchronized (writeLock) {
            o.write(bytes);
            o.flush();
        }
    }

    /**
     * Ends the connection gracefully: DISCONNECT, our half of TCP closed, the MPS's last bytes
     * drained by the reader until it closes too, or for {@link #CLOSE_GRACE_MILLIS} at most (closing
     * a socket with unread input sends a reset, which may destroy the DISCONNECT in flight).
     */
    void close() {
        closing = true;
        boolean graceful = false;
        try {
            if (out != null) {
                write(new ApfMessage.Disconnect(ApfMessage.DISCONNECT_BY_APPLICATION));
                Socket r = raw;
                if (r != null) {
                    r.shutdownOutput();
                    graceful = true;
                }
            }
        } catch (IOException e) {
            LOG.debug("CIRA VM '{}': DISCONNECT not sent: {}", vmName, e.toString());
        }
        if (graceful) {
            try {
                timers.schedule(this::closeSockets, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // no timer any more: at once
            }
        }
        closeSockets();
    }

    /** How long a closing tunnel waits for the MPS to close its side. */
    static final long CLOSE_GRACE_MILLIS = 2_000;

    /**
     * Closes the TCP socket under TLS first: SSLSocket.close() alone waits for the MPS's own
     * close_notify (JDK 17 TLS 1.3 duplex close), which an MPS need not send.
     */
    private void closeSockets() {
        for (Socket s : new Socket[] {raw, socket}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private void end() {
        synchronized (this) {
            if (keepAlive != null) {
                keepAlive.cancel(false);
            }
        }
        streams.values().forEach(TunnelDoor.Stream::close);
        streams.clear();
        channels.clear();
        closeSockets();
    }
}
