package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Framing of what consoles send, and the exact bytes of the replies they parse. */
class MessageReaderTest {

    @Test
    void framesAnAmttermSolSession() throws IOException {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.write(new byte[] {0x10, 0, 0, 0, 'S', 'O', 'L', ' '});
        s.write(new byte[] {0x13, 0, 0, 0, 1, 4, 0, 0, 0, 1, 'a', 1, 'b'});
        byte[] solStart = {0x20, 0, 0, 0, 0, 0, 0, 0, (byte) 0xE8, 3, 100, 0, 0, 0, 0x10, 0x27, 0, 0,
                (byte) 0x88, 0x13, 0, 0, 0, 0};
        s.write(solStart);
        s.write(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0, 'l', 's'});
        s.write(new byte[] {0x2B, 0, 0, 0, 7, 0, 0, 0});
        MessageReader r = new MessageReader(new ByteArrayInputStream(s.toByteArray()));
        assertEquals("SOL ", Messages.sessionType(r.next()));
        assertEquals(13, r.next().length);
        byte[] start = r.next();
        assertArrayEquals(solStart, start);
        assertEquals(5000, Messages.getShort(start, 18), "amtterm's heartbeat interval");
        byte[] data = r.next();
        assertEquals("ls", new String(data, 10, 2));
        assertEquals(Messages.SOL_HEARTBEAT, r.next()[0]);
        assertThrows(EOFException.class, r::next);
    }

    @Test
    void unknownTypesAndHugeLengthsEndTheSession() {
        assertThrows(MessageReader.ProtocolException.class,
                () -> new MessageReader(new ByteArrayInputStream(new byte[] {0x7F, 0, 0, 0})).next());
        byte[] huge = {0x13, 0, 0, 0, 4, (byte) 0xFF, (byte) 0xFF, 0, 0};
        assertThrows(MessageReader.ProtocolException.class, () -> new MessageReader(new ByteArrayInputStream(huge)).next());
    }

    @Test
    void repliesHaveTheLayoutClientsParse() {
        byte[] ok = Messages.startSessionReply(Messages.STATUS_OK);
        assertEquals(13, ok.length, "MeshCentral waits for 13 + OEM length bytes");
        assertEquals(0x11, ok[0]);
        assertEquals(0, ok[12]);
        assertEquals(3, Messages.startSessionReply(Messages.STATUS_UNSUPPORTED)[1]);
        byte[] request = new byte[24];
        request[0] = 0x20;
        request[4] = 9;
        byte[] reply = Messages.solStartReply(request);
        assertEquals(23, reply.length, "MeshCentral checks the length 23");
        assertEquals(9, reply[4], "the sequence mirrored");
        byte[] data = Messages.solData(5, "hi".getBytes(), 0, 2);
        assertArrayEquals(new byte[] {0x2A, 0, 0, 0, 5, 0, 0, 0, 2, 0, 'h', 'i'}, data);
        assertEquals(4, Messages.solControls(1, true)[9]);
        assertEquals(0, Messages.solControls(1, false)[9]);
        assertArrayEquals(new byte[] {0x41, 0, 0, 0, 0, 0, 0, 0}, Messages.kvmStartReply());
    }
}
