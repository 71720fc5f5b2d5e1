package org.vamt.redirection.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AMT side of an IDE-R session, once logged in. The console holds the images; AMT is the
 * host's IDE controller and asks it for data: ATAPI command packets go out (COMMAND_WRITTEN with a
 * 12-byte CDB, such as READ CAPACITY or READ(10)), the console answers with DATA_TO_HOST chunks (the
 * last one "completed", with the status) or a COMMAND_END_RESPONSE (status and sense).
 *
 * <p>Messages are little-endian, 8-byte header: type, 2 reserved bytes, attributes, sequence number.
 * Every message this side sends carries the next sequence number from 0 (the open-session reply),
 * which consoles check. One command is outstanding at a time; a command the console does not
 * complete within the read timeout ends the session, so a reader is never held longer than that.
 * While idle this side pings (KEEPALIVE_PING) and a console silent for three ping periods is gone.
 *
 * <p>Layouts were learnt from what consoles send and accept (MeshCentral/MeshCommander's IDE-R
 * client); vAMT writes nothing to the console's images (WRITE is never issued).
 */
final class IderSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IderSession.class);

    static final int OPEN_SESSION = 0x40;
    static final int OPEN_SESSION_REPLY = 0x41;
    static final int CLOSE = 0x43;
    static final int KEEPALIVE_PING = 0x44;
    static final int KEEPALIVE_PONG = 0x45;
    static final int RESET_OCCURRED_RESPONSE = 0x47;
    static final int DISABLE_ENABLE_FEATURES = 0x48;
    static final int DISABLE_ENABLE_FEATURES_REPLY = 0x49;
    static final int HEARTBEAT = 0x4B;
    static final int COMMAND_WRITTEN = 0x50;
    static final int COMMAND_END_RESPONSE = 0x51;
    static final int GET_DATA_FROM_HOST = 0x52;
    static final int DATA_TO_HOST = 0x54;

    /** ATA device/head register values: master = floppy/disk image, slave = CD image. */
    static final int DEVICE_FLOPPY = 0xA0;
    static final int DEVICE_CD = 0xB0;

    /** DisableEnableFeatures types. */
    static final int FEATURES_AVAILABLE = 1;
    static final int FEATURES_STATUS = 2;
    static final int FEATURES_TOGGLE = 3;
    /** Feature bit: the IDE-R device is enabled on the host side. */
    static final int FEATURE_ENABLED = 1;

    /** ATA status register in a reply: 0x50 ready, 0x51 error (check condition). */
    private static final int ATA_STATUS_OK = 0x50;
    /** Attribute bit of DATA_TO_HOST: the command completes with this chunk. */
    private static final int ATTRIBUTE_COMPLETED = 2;
    /** Largest chunk the console sends per DATA_TO_HOST; MeshCentral refuses more than 8192. */
    static final int READ_BUFFER = 8192;
    /** Largest data accepted in one DATA_TO_HOST. */
    private static final int MAX_CHUNK = 65535;
    private static final int INTEL_IANA = 343;

    /** A finished command: its data, or the console's sense data. */
    static final class CommandFailed extends IOException {
        private static final long serialVersionUID = 1L;
        final int senseKey;
        final int asc;

        CommandFailed(String message, int senseKey, int asc) {
            super(message);
            this.senseKey = senseKey;
            this.asc = asc;
        }
    }

    /** A command waiting for its data. */
    private static final class Pending {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
    }

    private final DataInputStream in;
    private final SessionOutput out;
    private final String who;
    private final long commandTimeoutMillis;
    private final ReentrantLock commandLock = new ReentrantLock();
    private final CompletableFuture<Void> enabled = new CompletableFuture<>();
    private int outSequence;   // guarded by out
    private volatile Pending pending;
    private volatile boolean closed;
    /** Whether the open-session reply went out: nothing else may be sent before it (it has sequence 0). */
    private volatile boolean opened;
    private volatile long lastHeard = System.nanoTime();
    private final java.net.Socket socket;
    /** TCP_QUICKACK where the platform has it (Linux), found by name: jdk.net need not be visible to the bundle. */
    @SuppressWarnings("unchecked")
    private final java.net.SocketOption<Boolean> quickAck;

    IderSession(java.net.Socket socket, InputStream in, SessionOutput out, String who, long commandTimeoutMillis) {
        this.in = new DataInputStream(in);
        this.out = out;
        this.who = who;
        this.commandTimeoutMillis = commandTimeoutMillis;
        this.socket = socket;
        java.net.SocketOption<Boolean> q = null;
        try {
            for (java.net.SocketOption<?> o : socket.supportedOptions()) {
                if ("TCP_QUICKACK".equals(o.name()) && o.type() == Boolean.class) {
                    q = (java.net.SocketOption<Boolean>) o;
                }
            }
        } catch (UnsupportedOperationException e) {
            // a tunnel's channel has no TCP options
        }
        this.quickAck = q;
    }

    /**
     * Acknowledges the console's data at once. Consoles write each data chunk as it comes from
     * their file (MeshCentral: one write per 8 KiB, Nagle on): without immediate ACKs every such
     * write waits for the delayed ACK (40 ms on Linux), which makes IDE-R crawl. Linux leaves
     * quick-ACK mode on its own, so it is set again before every read.
     */
    private void ackAtOnce() {
        if (quickAck != null) {
            try {
                socket.setOption(quickAck, true);
            } catch (IOException | RuntimeException e) {
                // only speed is lost
            }
        }
    }

    /**
     * Reads the console's messages until it closes the session or goes away: on the session's
     * thread. Replies to the protocol's own messages here; data for a command goes to its reader.
     */
    void serve() throws IOException {
        try {
            while (!closed) {
                byte[] m = next();
                lastHeard = System.nanoTime();
                switch (m[0] & 0xFF) {
                    case OPEN_SESSION -> {
                        send(OPEN_SESSION_REPLY, 0, openSessionReply());
                        opened = true;
                    }
                    case DISABLE_ENABLE_FEATURES -> features(m);
                    case KEEPALIVE_PING -> send(KEEPALIVE_PONG, 0, new byte[0]);
                    case KEEPALIVE_PONG, HEARTBEAT, RESET_OCCURRED_RESPONSE -> {
                        // activity only
                    }
                    case DATA_TO_HOST -> dataToHost(m);
                    case COMMAND_END_RESPONSE -> commandEnd(m);
                    case GET_DATA_FROM_HOST -> fail(new IOException("the console asked for write data; vAMT never writes"));
                    case CLOSE -> {
                        LOG.info("IDE-R {}: the console closed the session", who);
                        return;
                    }
                    case Messages.END_SESSION -> {
                        return;
                    }
                    default -> throw new MessageReader.ProtocolException(String.format(
                            "message 0x%02X is not part of an IDE-R session", m[0] & 0xFF));
                }
            }
        } finally {
            closed = true;
            enabled.completeExceptionally(new EOFException("IDE-R session ended"));
            fail(new EOFException("the IDE-R session ended"));
        }
    }

    /** One console message, type byte first. */
    private byte[] next() throws IOException {
        ackAtOnce();
        int type = in.read();
        if (type < 0) {
            throw new EOFException("console closed the IDE-R session");
        }
        return switch (type) {
            case OPEN_SESSION -> rest(type, 18);
            case CLOSE, KEEPALIVE_PING, KEEPALIVE_PONG, HEARTBEAT, RESET_OCCURRED_RESPONSE -> rest(type, 8);
            case Messages.END_SESSION -> rest(type, 4);
            case DISABLE_ENABLE_FEATURES -> {
                byte[] head = rest(type, 9);
                // only the toggle carries a value
                yield head[8] == FEATURES_TOGGLE ? extend(head, 4) : head;
            }
            case COMMAND_END_RESPONSE, GET_DATA_FROM_HOST -> rest(type, 31);
            case DATA_TO_HOST -> {
                byte[] head = rest(type, 34);
                int length = Messages.getShort(head, 9);
                if (length > MAX_CHUNK) {
                    throw new MessageReader.ProtocolException("DATA_TO_HOST of " + length + " bytes");
                }
                yield extend(head, length);
            }
            default -> throw new MessageReader.ProtocolException(String.format("unknown IDE-R message 0x%02X", type));
        };
    }

    private byte[] rest(int type, int total) throws IOException {
        byte[] b = new byte[total];
        b[0] = (byte) type;
        in.readFully(b, 1, total - 1);
        return b;
    }

    private byte[] extend(byte[] head, int more) throws IOException {
        byte[] b = java.util.Arrays.copyOf(head, head.length + more);
        in.readFully(b, head.length, more);
        return b;
    }

    /** The open-session reply: protocol 1.0, our firmware version, buffer sizes, no OEM data. */
    private static byte[] openSessionReply() {
        byte[] p = new byte[22];
        p[0] = 1;   // major
        p[1] = 0;   // minor
        p[2] = 16;  // firmware major
        p[3] = 1;   // firmware minor
        p[8] = (byte) READ_BUFFER;
        p[9] = (byte) (READ_BUFFER >>> 8);
        p[10] = (byte) READ_BUFFER;
        p[11] = (byte) (READ_BUFFER >>> 8);
        p[13] = 0;  // protocol 0
        Messages.putInt(p, 17, INTEL_IANA);
        p[21] = 0;  // OEM data length
        return p;
    }

    private void features(byte[] m) throws IOException {
        int type = m[8];
        int value;
        switch (type) {
            case FEATURES_AVAILABLE -> value = FEATURE_ENABLED;
            case FEATURES_STATUS -> value = enabled.isDone() && !enabled.isCompletedExceptionally() ? 2 : 0;
            case FEATURES_TOGGLE -> {
                int requested = Messages.getInt(m, 9);
                // bits 3-4 say when (1 on reboot, 2 graceful, 3 now); for a VM the device is there at once,
                // and the boot settings (UseIDER) decide when the VM boots from it
                value = 1;
                if ((requested & FEATURE_ENABLED) != 0) {
                    LOG.info("IDE-R {}: the console enabled the device (start {})", who,
                            switch ((requested >> 3) & 3) {
                                case 1 -> "on reboot";
                                case 2 -> "graceful";
                                case 3 -> "now";
                                default -> "unspecified";
                            });
                    enabled.complete(null);
                }
            }
            default -> value = 0;
        }
        byte[] p = new byte[5];
        p[0] = (byte) type;
        Messages.putInt(p, 1, value);
        send(DISABLE_ENABLE_FEATURES_REPLY, 0, p);
    }

    private void dataToHost(byte[] m) {
        Pending p = pending;
        if (p == null) {
            LOG.debug("IDE-R {}: data without a command, dropped", who);
            return;
        }
        int length = Messages.getShort(m, 9);
        p.data.write(m, 34, length);
        if ((m[3] & ATTRIBUTE_COMPLETED) != 0) {
            if ((m[27] & 0xFF) == ATA_STATUS_OK) {
                p.done.complete(p.data.toByteArray());
            } else {
                p.done.completeExceptionally(new CommandFailed("command failed with status " + (m[27] & 0xFF), 0, 0));
            }
        }
    }

    private void commandEnd(byte[] m) {
        Pending p = pending;
        if (p == null) {
            return;
        }
        if ((m[27] & 0xFF) == ATA_STATUS_OK) {
            p.done.complete(p.data.toByteArray());
        } else {
            p.done.completeExceptionally(new CommandFailed(String.format("sense key %d, ASC 0x%02X, ASCQ 0x%02X",
                    m[28] & 0xFF, m[29] & 0xFF, m[30] & 0xFF), m[28] & 0xFF, m[29] & 0xFF));
        }
    }

    private void fail(IOException e) {
        Pending p = pending;
        if (p != null) {
            p.done.completeExceptionally(e);
        }
    }

    /** Sends one message with the next sequence number. */
    private void send(int type, int attributes, byte[] payload) throws IOException {
        synchronized (out) {
            byte[] b = new byte[8 + payload.length];
            b[0] = (byte) type;
            b[3] = (byte) attributes;
            Messages.putInt(b, 4, outSequence++);
            System.arraycopy(payload, 0, b, 8, payload.length);
            out.send(b);
        }
    }

    /** Waits until the console enabled the device (its DisableEnableFeatures toggle); false on timeout or end. */
    boolean awaitEnabled(long millis) {
        try {
            enabled.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends a keep-alive ping when the console was quiet for a period, and ends the session when
     * it stayed silent for three; called by a timer.
     */
    void keepAlive(long periodMillis) {
        if (closed || !opened) {
            return;
        }
        long silentMillis = (System.nanoTime() - lastHeard) / 1_000_000;
        if (silentMillis > 3 * periodMillis) {
            LOG.info("IDE-R {}: the console has not answered for {} ms; closing", who, silentMillis);
            close();
            return;
        }
        try {
            send(KEEPALIVE_PING, 0, new byte[0]);
        } catch (IOException e) {
            close();
        }
    }

    /** READ CAPACITY of a device: {last block, block size}. */
    long[] readCapacity(int device) throws IOException {
        byte[] cdb = new byte[12];
        cdb[0] = 0x25;
        byte[] r = command(device, cdb, 8);
        if (r.length < 8) {
            throw new IOException("READ CAPACITY returned " + r.length + " bytes");
        }
        long last = ((r[0] & 0xFFL) << 24) | ((r[1] & 0xFF) << 16) | ((r[2] & 0xFF) << 8) | (r[3] & 0xFF);
        long size = ((r[4] & 0xFFL) << 24) | ((r[5] & 0xFF) << 16) | ((r[6] & 0xFF) << 8) | (r[7] & 0xFF);
        return new long[] {last, size};
    }

    /** READ(10) of {@code blocks} blocks from {@code lba}. */
    byte[] read(int device, long lba, int blocks, int blockSize) throws IOException {
        byte[] cdb = new byte[12];
        cdb[0] = 0x28;
        cdb[2] = (byte) (lba >>> 24);
        cdb[3] = (byte) (lba >>> 16);
        cdb[4] = (byte) (lba >>> 8);
        cdb[5] = (byte) lba;
        cdb[7] = (byte) (blocks >>> 8);
        cdb[8] = (byte) blocks;
        byte[] r = command(device, cdb, blocks * blockSize);
        if (r.length != blocks * blockSize) {
            throw new IOException("READ(10) of " + blocks + " blocks at " + lba + " returned " + r.length + " bytes");
        }
        return r;
    }

    /**
     * One ATAPI command: COMMAND_WRITTEN with the CDB, then the console's answer within the command
     * timeout. A console that does not answer in time ends the session (AMT aborts the command as
     * well): the caller gets an IOException, never a wait without end.
     */
    private byte[] command(int device, byte[] cdb, int byteCount) throws IOException {
        try {
            if (!commandLock.tryLock(commandTimeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new IOException("IDE-R " + who + ": device busy");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
        try {
            if (closed) {
                throw new EOFException("the IDE-R session ended");
            }
            Pending p = new Pending();
            pending = p;
            byte[] payload = new byte[20];
            payload[1] = 0;                                       // features: PIO
            payload[4] = (byte) Math.min(byteCount, 0xFFFE);      // ATAPI byte count limit
            payload[5] = (byte) (Math.min(byteCount, 0xFFFE) >>> 8);
            payload[6] = (byte) device;
            payload[7] = (byte) 0xA0;                             // ATA PACKET
            System.arraycopy(cdb, 0, payload, 8, 12);
            send(COMMAND_WRITTEN, 0, payload);
            try {
                return p.done.get(commandTimeoutMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warn("IDE-R {}: the console did not answer command 0x{} within {} ms; closing the session", who,
                        Integer.toHexString(cdb[0] & 0xFF), commandTimeoutMillis);
                close();
                throw new IOException("IDE-R command timed out");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            } finally {
                pending = null;
            }
        } finally {
            commandLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Ends the session: the connection closes, the reader thread ends, a waiting command fails. */
    @Override
    public void close() {
        closed = true;
        fail(new EOFException("the IDE-R session ended"));
        try {
            socket.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
