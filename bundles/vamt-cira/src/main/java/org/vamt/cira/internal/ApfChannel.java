package org.vamt.cira.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.vamt.cira.apf.ApfCodec;
import org.vamt.cira.apf.ApfMessage;

/**
 * One APF channel and its SSH-style flow control. Sending: the MPS's window is our credit; no more
 * CHANNEL_DATA payload than the credit is ever in flight, each message carries at most
 * {@link ApfCodec#MAX_DATA_PAYLOAD} bytes, the rest waits for a WINDOW_ADJUST. Receiving: we
 * announce {@link #RECEIVE_WINDOW} and give it back with a WINDOW_ADJUST once half of it was
 * consumed. Close: a CHANNEL_CLOSE of ours waits until queued data went out; one from the MPS is
 * answered with ours unless ours already crossed it on the wire.
 */
final class ApfChannel {
    /** What we let the MPS send before our next WINDOW_ADJUST. */
    static final int RECEIVE_WINDOW = 32 * 1024;

    /** Writes one message to the MPS (one write per message). */
    interface Writer {
        void write(ApfMessage m) throws IOException;
    }

    final int localId;
    final int remoteId;
    final int port;
    private final Writer writer;
    private long credit;
    private final Deque<byte[]> queued = new ArrayDeque<>();
    private int queuedBytes;
    private int consumed;
    /** Our CONFIRMATION went out: before it, data and our close wait (the door may answer at once). */
    private boolean confirmed;
    private boolean closeWanted;
    private boolean closeSent;
    private boolean closeReceived;

    /** A channel whose confirmation is sent with {@link #confirm}. */
    ApfChannel(int localId, int remoteId, int port, int initialCredit, Writer writer) {
        this(localId, remoteId, port, initialCredit, writer, false);
    }

    ApfChannel(int localId, int remoteId, int port, int initialCredit, Writer writer, boolean confirmed) {
        this.confirmed = confirmed;
        this.localId = localId;
        this.remoteId = remoteId;
        this.port = port;
        this.credit = initialCredit & 0xFFFFFFFFL;
        this.writer = writer;
    }

    /** Data for the MPS: sent now as far as the credit goes, the rest queued. */
    synchronized void send(ByteBuffer data) throws IOException {
        if (closeSent || closeReceived) {
            throw new IOException("channel " + localId + " is closed");
        }
        while (data.hasRemaining()) {
            int n = Math.min(data.remaining(), ApfCodec.MAX_DATA_PAYLOAD);
            byte[] chunk = new byte[n];
            data.get(chunk);
            queued.add(chunk);
            queuedBytes += n;
        }
        flush();
    }

    /** The MPS gave more credit. */
    synchronized void adjust(int bytes) throws IOException {
        credit += bytes & 0xFFFFFFFFL;
        flush();
    }

    /** Sends our CHANNEL_OPEN_CONFIRMATION, then whatever the door produced meanwhile. */
    synchronized void confirm(ApfMessage.ChannelOpenConfirmation confirmation) throws IOException {
        writer.write(confirmation);
        confirmed = true;
        flush();
    }

    private void flush() throws IOException {
        if (!confirmed) {
            return;
        }
        while (!queued.isEmpty() && credit > 0) {
            byte[] head = queued.peek();
            if (head.length <= credit) {
                queued.poll();
                queuedBytes -= head.length;
                credit -= head.length;
                writer.write(new ApfMessage.ChannelData(remoteId, head));
            } else {
                int n = (int) credit;
                byte[] part = java.util.Arrays.copyOf(head, n);
                queued.poll();
                queued.addFirst(java.util.Arrays.copyOfRange(head, n, head.length));
                queuedBytes -= n;
                credit = 0;
                writer.write(new ApfMessage.ChannelData(remoteId, part));
            }
        }
        if (queued.isEmpty() && closeWanted && !closeSent && !closeReceived) {
            closeSent = true;
            writer.write(new ApfMessage.ChannelClose(remoteId));
        }
    }

    /** {@code n} bytes from the MPS were passed on: a WINDOW_ADJUST once half the window is used. */
    synchronized void consumed(int n) throws IOException {
        consumed += n;
        if (consumed >= RECEIVE_WINDOW / 2 && !closeSent && !closeReceived) {
            int give = consumed;
            consumed = 0;
            writer.write(new ApfMessage.WindowAdjust(remoteId, give));
        }
    }

    /** Our side is done: CHANNEL_CLOSE once the queued data is out (at once if none). */
    synchronized void close() throws IOException {
        closeWanted = true;
        flush();
    }

    /**
     * The MPS closed the channel: answered with our CHANNEL_CLOSE unless ours was sent already (the
     * two crossed). Queued data is dropped. True when the channel is now gone on both sides.
     */
    synchronized void closedByPeer() throws IOException {
        closeReceived = true;
        queued.clear();
        queuedBytes = 0;
        if (!closeSent) {
            closeSent = true;
            writer.write(new ApfMessage.ChannelClose(remoteId));
        }
    }

    synchronized boolean isClosed() {
        return closeSent && closeReceived;
    }

    synchronized long credit() {
        return credit;
    }

    synchronized int queuedBytes() {
        return queuedBytes;
    }
}
