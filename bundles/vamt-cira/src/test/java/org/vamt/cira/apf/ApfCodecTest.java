package org.vamt.cira.apf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The frames of the research notes (docs/cira.md §1.4, taken from a live MeshCentral 1.1.55 session)
 * encode to exactly those bytes and decode from them however the stream is split.
 */
class ApfCodecTest {
    static final UUID VM = UUID.fromString("12345678-9abc-def0-1122-334455667788");

    /** hex with "quoted ASCII" parts, spaces ignored. */
    static byte[] frame(String spec) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] parts = spec.split("\"");
        for (int i = 0; i < parts.length; i++) {
            if (i % 2 == 1) {
                out.writeBytes(parts[i].getBytes(StandardCharsets.US_ASCII));
            } else {
                out.writeBytes(HexFormat.of().parseHex(parts[i].replace(" ", "")));
            }
        }
        return out.toByteArray();
    }

    static Map<ApfMessage, byte[]> frames() {
        Map<ApfMessage, byte[]> m = new LinkedHashMap<>();
        m.put(new ApfMessage.ProtocolVersion(1, 0, 4, VM), frame("c0 00000001 00000000 00000004 "
                + "78563412bc9af0de1122334455667788" + "00".repeat(64)));
        m.put(new ApfMessage.ServiceRequest("auth@amt.intel.com"), frame("05 00000012 \"auth@amt.intel.com\""));
        m.put(new ApfMessage.ServiceAccept("auth@amt.intel.com"), frame("06 00000012 \"auth@amt.intel.com\""));
        m.put(new ApfMessage.UserAuthRequest("3VeNgK6mqKCYDtG3", "pfwd@amt.intel.com", "password", "anyPass#1"),
                frame("32 00000010 \"3VeNgK6mqKCYDtG3\" 00000012 \"pfwd@amt.intel.com\" 00000008 \"password\" 00 "
                        + "00000009 \"anyPass#1\""));
        m.put(new ApfMessage.UserAuthSuccess(), frame("34"));
        m.put(new ApfMessage.GlobalRequest("tcpip-forward", true, "vm1", 16992),
                frame("50 0000000d \"tcpip-forward\" 01 00000003 \"vm1\" 00004260"));
        m.put(new ApfMessage.RequestSuccess(16992), frame("51 00004260"));
        m.put(new ApfMessage.ChannelOpen("forwarded-tcpip", 4, 32768, 0xFFFFFFFF, "", 16992, "1.2.3.4", 1024),
                frame("5a 0000000f \"forwarded-tcpip\" 00000004 00008000 ffffffff 00000000 00004260 00000007 "
                        + "\"1.2.3.4\" 00000400"));
        m.put(new ApfMessage.ChannelOpenConfirmation(4, 101, 32768, 0xFFFFFFFF),
                frame("5b 00000004 00000065 00008000 ffffffff"));
        m.put(new ApfMessage.ChannelOpenFailure(4, 2), frame("5c 00000004 00000002 00000000 00000000"));
        m.put(new ApfMessage.WindowAdjust(101, 16384), frame("5d 00000065 00004000"));
        m.put(new ApfMessage.ChannelData(101, "POST".getBytes(StandardCharsets.US_ASCII)),
                frame("5e 00000065 00000004 \"POST\""));
        m.put(new ApfMessage.ChannelClose(4), frame("61 00000004"));
        m.put(new ApfMessage.KeepAliveRequest(7), frame("d0 00000007"));
        m.put(new ApfMessage.KeepAliveReply(7), frame("d1 00000007"));
        m.put(new ApfMessage.KeepAliveOptionsRequest(30, 0), frame("d2 0000001e 00000000"));
        m.put(new ApfMessage.KeepAliveOptionsReply(30, 0), frame("d3 0000001e 00000000"));
        m.put(new ApfMessage.Disconnect(11), frame("01 0000000b 0000"));
        m.put(new ApfMessage.RequestFailure(), frame("52"));
        m.put(new ApfMessage.JsonControl("{}"), frame("fa 00000002 \"{}\""));
        return m;
    }

    @Test
    void everyFrameEncodesToTheBytesSeenOnTheWire() {
        for (Map.Entry<ApfMessage, byte[]> e : frames().entrySet()) {
            assertArrayEquals(e.getValue(), ApfCodec.encode(e.getKey()), e.getKey().toString());
        }
        assertEquals(93, frames().entrySet().iterator().next().getValue().length);
        assertEquals(69, ApfCodec.encode(new ApfMessage.UserAuthRequest("3VeNgK6mqKCYDtG3", "pfwd@amt.intel.com",
                "password", "anyPass#1")).length);
    }

    @Test
    void everyFrameDecodesWhereverTheStreamIsSplit() throws Exception {
        for (Map.Entry<ApfMessage, byte[]> e : frames().entrySet()) {
            byte[] b = e.getValue();
            for (int cut = 0; cut <= b.length; cut++) {
                ApfCodec.Decoder d = new ApfCodec.Decoder();
                d.feed(b, 0, cut);
                ApfMessage early = d.next();
                if (cut < b.length) {
                    assertNull(early, e.getKey() + " decoded from " + cut + " of " + b.length + " bytes");
                    d.feed(b, cut, b.length - cut);
                    assertEquals(e.getKey(), d.next(), "split at " + cut);
                } else {
                    assertEquals(e.getKey(), early);
                }
                assertEquals(0, d.buffered(), "nothing left over");
            }
        }
    }

    @Test
    void aStreamOfAllFramesDecodesByteByByteAndInOneBlock() throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        frames().values().forEach(all::writeBytes);
        byte[] stream = all.toByteArray();
        List<ApfMessage> expected = new ArrayList<>(frames().keySet());
        for (int step : new int[] {1, 2, 3, 5, 7, 13, 64, 4096, stream.length}) {
            ApfCodec.Decoder d = new ApfCodec.Decoder();
            List<ApfMessage> got = new ArrayList<>();
            for (int i = 0; i < stream.length; i += step) {
                d.feed(stream, i, Math.min(step, stream.length - i));
                ApfMessage m;
                while ((m = d.next()) != null) {
                    got.add(m);
                }
            }
            assertEquals(expected, got, "fed " + step + " bytes at a time");
        }
    }

    @Test
    void meshCentralsUserAuthFailureIsTerminalWhateverItsTail() throws Exception {
        ApfCodec.Decoder d = new ApfCodec.Decoder();
        byte[] b = frame("33 00000008 \"password\" 0000");
        d.feed(b, 0, b.length);
        assertEquals(new ApfMessage.UserAuthFailure(), d.next());
    }

    @Test
    void aRequestSuccessOfACancelHasNoPort() throws Exception {
        ApfCodec.Decoder d = new ApfCodec.Decoder();
        d.expectReply(false);
        d.expectReply(true);
        byte[] b = frame("51 51 00004260 d0 00000001");
        d.feed(b, 0, b.length);
        assertEquals(new ApfMessage.RequestSuccess(null), d.next());
        assertEquals(new ApfMessage.RequestSuccess(16992), d.next());
        assertEquals(new ApfMessage.KeepAliveRequest(1), d.next());
    }

    @Test
    void theUuidTravelsWithItsFirstThreeGroupsLittleEndian() {
        assertEquals("78563412bc9af0de1122334455667788", HexFormat.of().formatHex(ApfCodec.uuidToWire(VM)));
        assertEquals(VM, ApfCodec.uuidFromWire(ApfCodec.uuidToWire(VM)));
    }

    @Test
    void unknownTypesAndHugeLengthsAreProtocolErrors() {
        ApfCodec.Decoder d = new ApfCodec.Decoder();
        byte[] b = {(byte) 0x99, 0, 0};
        d.feed(b, 0, b.length);
        assertThrows(ApfProtocolException.class, d::next);
        ApfCodec.Decoder big = new ApfCodec.Decoder();
        byte[] huge = frame("5e 00000065 7fffffff");
        big.feed(huge, 0, huge.length);
        assertThrows(ApfProtocolException.class, big::next);
        ApfCodec.Decoder str = new ApfCodec.Decoder();
        byte[] s = frame("06 7fffffff");
        str.feed(s, 0, s.length);
        assertThrows(ApfProtocolException.class, str::next);
    }

    @Test
    void thePasswordNeverShowsInAMessagesText() {
        String text = new ApfMessage.UserAuthRequest("u", "pfwd@amt.intel.com", "password", "s3cret-pw").toString();
        assertTrue(!text.contains("s3cret-pw"), text);
    }
}
