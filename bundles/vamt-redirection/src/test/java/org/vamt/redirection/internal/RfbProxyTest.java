package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Re-tiling of the display's RAW updates into the at most 64x64 rectangles AMT consoles accept. */
class RfbProxyTest {

    @Test
    void aFullScreenRawRectangleBecomesTilesWithTheSamePixels() throws IOException {
        int w = 150;
        int h = 70;
        ByteArrayOutputStream update = new ByteArrayOutputStream();
        DataOutputStream u = new DataOutputStream(update);
        u.writeByte(0);          // padding (the type byte was already read)
        u.writeShort(1);         // one rectangle
        u.writeShort(10);
        u.writeShort(20);
        u.writeShort(w);
        u.writeShort(h);
        u.writeInt(RfbProxy.ENCODING_RAW);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                u.writeShort(pixel(x, y));
            }
        }
        byte[] out = new RfbProxy("test").retile(new DataInputStream(new ByteArrayInputStream(update.toByteArray())));
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(out));
        assertEquals(0, in.readUnsignedByte());
        in.readUnsignedByte();
        int tiles = in.readUnsignedShort();
        assertEquals(3 * 2, tiles, "150x70 = 3 columns x 2 rows of tiles");
        long covered = 0;
        for (int t = 0; t < tiles; t++) {
            int x = in.readUnsignedShort() - 10;
            int y = in.readUnsignedShort() - 20;
            int tw = in.readUnsignedShort();
            int th = in.readUnsignedShort();
            assertEquals(RfbProxy.ENCODING_RAW, in.readInt());
            assertEquals(true, tw >= 1 && tw <= 64 && th >= 1 && th <= 64, tw + "x" + th);
            for (int row = 0; row < th; row++) {
                for (int col = 0; col < tw; col++) {
                    assertEquals(pixel(x + col, y + row), in.readUnsignedShort(), "pixel " + (x + col) + "," + (y + row));
                }
            }
            covered += (long) tw * th;
        }
        assertEquals((long) w * h, covered);
        assertEquals(-1, in.read());
    }

    private static int pixel(int x, int y) {
        return (x * 31 + y * 7) & 0xFFFF;
    }
}
