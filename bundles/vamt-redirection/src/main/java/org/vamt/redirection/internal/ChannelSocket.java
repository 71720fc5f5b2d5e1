package org.vamt.redirection.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.vamt.endpoints.TunnelDoor;

/**
 * A redirection connection that arrived through a tunnel (a CIRA channel to 16994) dressed as the
 * socket a {@link Session} serves: input queued as the channel delivers it, read with the
 * socket's timeout; output and close handed to the tunnel. So a tunnelled session runs the same
 * session code — login, realms, slots, deadlines, SOL, KVM — as one on the listener.
 */
final class ChannelSocket extends Socket {
    private final InetSocketAddress peer;
    private final TunnelDoor.Sink sink;
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> input = new ArrayDeque<>();
    private byte[] current;
    private int pos;
    private boolean ended;
    private volatile boolean closed;
    private volatile int timeout;

    ChannelSocket(InetSocketAddress peer, TunnelDoor.Sink sink) {
        this.peer = peer;
        this.sink = sink;
    }

    /** The tunnel's side. */
    TunnelDoor.Stream stream() {
        return new TunnelDoor.Stream() {
            @Override
            public void received(ByteBuffer bytes) {
                byte[] b = new byte[bytes.remaining()];
                bytes.get(b);
                synchronized (lock) {
                    input.add(b);
                    lock.notifyAll();
                }
            }

            @Override
            public void close() {
                synchronized (lock) {
                    ended = true;
                    lock.notifyAll();
                }
            }
        };
    }

    private final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            synchronized (lock) {
                long deadline = timeout == 0 ? Long.MAX_VALUE : System.nanoTime() + timeout * 1_000_000L;
                while ((current == null || pos == current.length) && input.isEmpty()) {
                    if (closed) {
                        throw new SocketException("Socket closed");
                    }
                    if (ended) {
                        return -1;
                    }
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw new SocketTimeoutException("Read timed out");
                    }
                    try {
                        lock.wait(Math.min(left, 60_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                }
                if (current == null || pos == current.length) {
                    current = input.poll();
                    pos = 0;
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(current, pos, b, off, n);
                pos += n;
                return n;
            }
        }
    };

    private final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            sink.send(ByteBuffer.wrap(b, off, len));
        }
    };

    @Override
    public InputStream getInputStream() {
        return in;
    }

    @Override
    public OutputStream getOutputStream() {
        return out;
    }

    @Override
    public void setSoTimeout(int millis) {
        timeout = millis;
    }

    @Override
    public int getSoTimeout() {
        return timeout;
    }

    @Override
    public void setTcpNoDelay(boolean on) {
        // a channel has no Nagle
    }

    @Override
    public InetAddress getInetAddress() {
        return peer.getAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return InetAddress.getLoopbackAddress();
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        sink.closed();
    }
}
