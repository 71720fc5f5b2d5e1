package org.vamt.cira.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vamt.cira.apf.ApfCodec;
import org.vamt.cira.apf.ApfMessage;

/** SSH-style flow control of one channel, both ways, and the close handshake. */
class ApfChannelTest {
    final List<ApfMessage> sent = new ArrayList<>();

    ApfChannel channel(int credit) {
        return new ApfChannel(101, 4, 16992, credit, sent::add, true);
    }

    private int dataBytes() {
        return sent.stream().filter(m -> m instanceof ApfMessage.ChannelData)
                .mapToInt(m -> ((ApfMessage.ChannelData) m).data().length).sum();
    }

    @Test
    void withoutCreditDataWaitsForAWindowAdjust() throws IOException {
        ApfChannel c = channel(0);
        c.send(ByteBuffer.wrap(new byte[100]));
        assertTrue(sent.isEmpty(), "nothing may go out without credit");
        assertEquals(100, c.queuedBytes());
        c.adjust(60);
        assertEquals(60, dataBytes(), "exactly the credit");
        c.adjust(1000);
        assertEquals(100, dataBytes());
        assertEquals(0, c.queuedBytes());
        assertEquals(960, c.credit());
    }

    @Test
    void aLargeAnswerGoesOutInPiecesOfAtMost4087BytesNeverBeyondTheWindow() throws IOException {
        ApfChannel c = channel(32768);
        byte[] body = new byte[100 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        c.send(ByteBuffer.wrap(body));
        assertEquals(32768, dataBytes(), "stops at the window");
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        int granted = 32768;
        while (dataBytes() < body.length) {
            int before = dataBytes();
            c.adjust(16384);   // MeshCentral's replenish: half its window
            granted += 16384;
            assertTrue(dataBytes() - before <= 16384);
            assertTrue(dataBytes() <= granted, "in flight beyond the credit");
        }
        for (ApfMessage m : sent) {
            ApfMessage.ChannelData d = (ApfMessage.ChannelData) m;
            assertEquals(4, d.recipient(), "addressed to the MPS's channel id");
            assertTrue(d.data().length <= ApfCodec.MAX_DATA_PAYLOAD, d.data().length + " bytes in one message");
            assertTrue(ApfCodec.encode(d).length <= 4096);
            received.writeBytes(d.data());
        }
        assertEquals(ByteBuffer.wrap(body), ByteBuffer.wrap(received.toByteArray()), "in order, nothing lost");
    }

    @Test
    void receivedDataIsAcknowledgedOnceHalfTheWindowIsUsed() throws IOException {
        ApfChannel c = channel(32768);
        c.consumed(10_000);
        assertTrue(sent.isEmpty());
        c.consumed(7_000);
        assertEquals(List.of(new ApfMessage.WindowAdjust(4, 17_000)), sent);
    }

    @Test
    void ourCloseWaitsForQueuedDataAndCrossingClosesAreTolerated() throws IOException {
        ApfChannel c = channel(10);
        c.send(ByteBuffer.wrap(new byte[20]));
        c.close();
        assertEquals(1, sent.size(), "the close waits behind the data still queued");
        c.adjust(10);
        assertEquals(new ApfMessage.ChannelClose(4), sent.get(sent.size() - 1));
        int before = sent.size();
        c.closedByPeer();   // the MPS's close crossed ours on the wire
        assertEquals(before, sent.size(), "no second close");
        assertTrue(c.isClosed());
        assertThrows(IOException.class, () -> c.send(ByteBuffer.wrap(new byte[1])));
    }

    @Test
    void aCloseFromTheMpsIsAnsweredOnce() throws IOException {
        ApfChannel c = channel(100);
        c.closedByPeer();
        assertEquals(List.of(new ApfMessage.ChannelClose(4)), sent);
        c.close();
        assertEquals(1, sent.size());
    }

    @Test
    void nothingOfTheDoorPrecedesOurConfirmation() throws IOException {
        ApfChannel c = new ApfChannel(101, 4, 16994, 1000, sent::add);
        c.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));   // a door that answers (or closes) at once
        c.close();
        assertTrue(sent.isEmpty());
        ApfMessage.ChannelOpenConfirmation ok = new ApfMessage.ChannelOpenConfirmation(4, 101, 32768, -1);
        c.confirm(ok);
        assertEquals(List.of(ok, new ApfMessage.ChannelData(4, new byte[] {1, 2, 3}), new ApfMessage.ChannelClose(4)),
                sent);
    }
}
