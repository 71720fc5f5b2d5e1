package org.vamt.redirection.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KVM: RFB between an AMT console and the VM's VNC display (compat section 5.3). vAMT is the RFB
 * client of the display and the RFB server of the console, because AMT consoles need things a
 * VNC server does not give: no RFB authentication (the redirection layer did it), 16 bpp RGB565
 * little-endian as the default pixel format, and rectangles of at most {@value #TILE}×{@value #TILE}
 * pixels. The display is asked for RAW only (and DesktopSize), and every RAW rectangle is cut
 * into tiles. Input events, update requests and pixel format changes pass through.
 */
final class RfbProxy {
    private static final Logger LOG = LoggerFactory.getLogger(RfbProxy.class);
    static final int TILE = 64;
    static final int ENCODING_RAW = 0;
    static final int ENCODING_DESKTOP_SIZE = -223;
    private static final byte[] VERSION = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);
    private static final int SECURITY_NONE = 1;
    /** Largest cut text passed on, either way. */
    private static final int MAX_CUT_TEXT = 1 << 20;
    /** Largest framebuffer accepted from the display. */
    private static final int MAX_DIMENSION = 8192;

    /** The RFB pixel format AMT consoles assume: 16 bpp, depth 16, little-endian, true colour 5-6-5. */
    static final byte[] RGB565 = {16, 16, 0, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0, 0, 0, 0};

    private final String who;
    private volatile int bytesPerPixel = 2;
    /** The next update request is sent as non-incremental: the console has no picture yet. */
    private boolean fullFrameOwed = true;
    /** What a session reports once it is running: the framebuffer size. */
    private volatile int width;
    private volatile int height;

    RfbProxy(String who) {
        this.who = who;
    }

    /**
     * Runs the session until either side closes. {@code consoleIn}/{@code consoleOut} carry raw
     * RFB after the 0x40/0x41 exchange.
     */
    void run(InputStream consoleIn, OutputStream consoleOut, InetSocketAddress display, int connectTimeoutMillis)
            throws IOException {
        try (Socket vnc = new Socket()) {
            vnc.connect(display, connectTimeoutMillis);
            vnc.setTcpNoDelay(true);
            DataInputStream server = new DataInputStream(new BufferedInputStream(vnc.getInputStream(), 65536));
            DataOutputStream toServer = new DataOutputStream(vnc.getOutputStream());
            DataInputStream console = new DataInputStream(consoleIn);
            DataOutputStream toConsole = new DataOutputStream(consoleOut);
            vnc.setSoTimeout(connectTimeoutMillis);
            byte[] name = handshakeWithDisplay(server, toServer);
            vnc.setSoTimeout(0);
            handshakeWithConsole(console, toConsole, name);
            // what vAMT can re-tile: RAW, plus size changes
            toServer.write(setPixelFormat(RGB565));
            toServer.write(setEncodings(ENCODING_RAW, ENCODING_DESKTOP_SIZE));
            toServer.flush();
            LOG.info("KVM {}: RFB session on the VNC display {}, framebuffer {}x{}", who, display, width, height);
            Thread fromDisplay = new Thread(() -> {
                try {
                    displayToConsole(server, toConsole);
                } catch (IOException e) {
                    LOG.debug("KVM {}: display side ended: {}", who, e.getMessage());
                } finally {
                    closeQuietly(vnc);
                    closeQuietly(consoleOut);
                }
            }, "vamt-kvm-" + who);
            fromDisplay.setDaemon(true);
            fromDisplay.start();
            try {
                consoleToDisplay(console, toServer);
            } finally {
                closeQuietly(vnc);
            }
        }
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    private byte[] handshakeWithDisplay(DataInputStream server, DataOutputStream toServer) throws IOException {
        byte[] version = new byte[12];
        server.readFully(version);
        if (!new String(version, 0, 4, StandardCharsets.US_ASCII).equals("RFB ")) {
            throw new IOException("the VNC display did not answer RFB");
        }
        toServer.write(VERSION);
        toServer.flush();
        int count = server.readUnsignedByte();
        if (count == 0) {
            throw new IOException("the VNC display refused: " + reason(server));
        }
        byte[] types = new byte[count];
        server.readFully(types);
        boolean none = false;
        for (byte t : types) {
            none |= t == SECURITY_NONE;
        }
        if (!none) {
            throw new IOException("the VNC display requires authentication (security types "
                    + Arrays.toString(types) + "); vAMT needs one without a password");
        }
        toServer.write(SECURITY_NONE);
        toServer.flush();
        if (server.readInt() != 0) {
            throw new IOException("the VNC display refused the session: " + reason(server));
        }
        toServer.write(1);   // shared: other viewers (virt-manager…) keep their sessions
        toServer.flush();
        width = server.readUnsignedShort();
        height = server.readUnsignedShort();
        server.readFully(new byte[16]);   // the display's own pixel format; replaced below
        int nameLength = server.readInt();
        if (nameLength < 0 || nameLength > 4096) {
            throw new IOException("bad desktop name length " + nameLength);
        }
        byte[] name = new byte[nameLength];
        server.readFully(name);
        return name;
    }

    private static String reason(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 4096) {
            return "(no reason)";
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void handshakeWithConsole(DataInputStream console, DataOutputStream toConsole, byte[] name)
            throws IOException {
        toConsole.write(VERSION);
        toConsole.flush();
        console.readFully(new byte[12]);
        toConsole.write(new byte[] {1, SECURITY_NONE});
        toConsole.flush();
        console.readUnsignedByte();   // the client's choice; consoles always pick None
        toConsole.writeInt(0);
        toConsole.flush();
        console.readUnsignedByte();   // ClientInit (shared flag)
        toConsole.writeShort(width);
        toConsole.writeShort(height);
        toConsole.write(RGB565);
        toConsole.writeInt(name.length);
        toConsole.write(name);
        toConsole.flush();
    }

    /** Client messages: pass through, except SetEncodings, which vAMT answers for the display. */
    private void consoleToDisplay(DataInputStream console, DataOutputStream toServer) throws IOException {
        while (true) {
            int type = console.read();
            if (type < 0) {
                return;
            }
            switch (type) {
                case 0 -> {   // SetPixelFormat
                    byte[] m = new byte[20];
                    m[0] = 0;
                    console.readFully(m, 1, 19);
                    int bpp = m[4] & 0xFF;
                    if (bpp != 8 && bpp != 16 && bpp != 32) {
                        throw new IOException("unsupported bits per pixel " + bpp);
                    }
                    bytesPerPixel = bpp / 8;
                    fullFrameOwed = true;
                    toServer.write(m);
                }
                case 2 -> {   // SetEncodings: read and drop; the display keeps RAW + DesktopSize
                    console.readUnsignedByte();
                    int n = console.readUnsignedShort();
                    console.readFully(new byte[4 * n]);
                }
                case 3 -> {   // FramebufferUpdateRequest
                    byte[] m = new byte[9];
                    console.readFully(m);
                    if (fullFrameOwed) {
                        // AMT consoles only ever ask for incremental updates; AMT starts with the whole screen
                        m[0] = 0;
                        fullFrameOwed = false;
                    }
                    toServer.write(type);
                    toServer.write(m);
                }
                case 4 -> forward(console, toServer, type, 7);    // KeyEvent
                case 5 -> forward(console, toServer, type, 5);    // PointerEvent
                case 6 -> {   // ClientCutText
                    byte[] head = new byte[7];
                    console.readFully(head);
                    int n = ((head[3] & 0xFF) << 24) | ((head[4] & 0xFF) << 16) | ((head[5] & 0xFF) << 8) | (head[6] & 0xFF);
                    if (n < 0 || n > MAX_CUT_TEXT) {
                        throw new IOException("cut text too long: " + n);
                    }
                    byte[] text = new byte[n];
                    console.readFully(text);
                    toServer.write(type);
                    toServer.write(head);
                    toServer.write(text);
                }
                default -> throw new IOException("unsupported RFB client message " + type);
            }
            toServer.flush();
        }
    }

    private static void forward(DataInputStream in, DataOutputStream out, int type, int rest) throws IOException {
        byte[] m = new byte[rest];
        in.readFully(m);
        out.write(type);
        out.write(m);
    }

    /** Display messages: updates are re-tiled into at most 64×64 RAW rectangles, the rest passes through. */
    private void displayToConsole(DataInputStream server, DataOutputStream toConsole) throws IOException {
        while (true) {
            int type = server.read();
            if (type < 0) {
                return;
            }
            switch (type) {
                case 0 -> toConsole.write(retile(server));
                case 1 -> {   // SetColourMapEntries
                    byte[] head = new byte[5];
                    server.readFully(head);
                    int n = ((head[3] & 0xFF) << 8) | (head[4] & 0xFF);
                    byte[] colours = new byte[6 * n];
                    server.readFully(colours);
                    toConsole.write(type);
                    toConsole.write(head);
                    toConsole.write(colours);
                }
                case 2 -> toConsole.write(type);   // Bell
                case 3 -> {   // ServerCutText
                    byte[] head = new byte[7];
                    server.readFully(head);
                    int n = ((head[3] & 0xFF) << 24) | ((head[4] & 0xFF) << 16) | ((head[5] & 0xFF) << 8) | (head[6] & 0xFF);
                    if (n < 0 || n > MAX_CUT_TEXT) {
                        throw new IOException("cut text too long: " + n);
                    }
                    byte[] text = new byte[n];
                    server.readFully(text);
                    toConsole.write(type);
                    toConsole.write(head);
                    toConsole.write(text);
                }
                default -> throw new IOException("unsupported RFB server message " + type);
            }
            toConsole.flush();
        }
    }

    /** Reads one FramebufferUpdate (after its type byte) and returns it with RAW rectangles cut into tiles. */
    byte[] retile(DataInputStream server) throws IOException {
        server.readUnsignedByte();
        int rects = server.readUnsignedShort();
        int bpp = bytesPerPixel;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        int count = 0;
        for (int r = 0; r < rects; r++) {
            int x = server.readUnsignedShort();
            int y = server.readUnsignedShort();
            int w = server.readUnsignedShort();
            int h = server.readUnsignedShort();
            int encoding = server.readInt();
            if (encoding == ENCODING_DESKTOP_SIZE) {
                width = w;
                height = h;
                rectHeader(out, x, y, w, h, encoding);
                count++;
                continue;
            }
            if (encoding != ENCODING_RAW) {
                throw new IOException("the display sent encoding " + encoding + ", which was not asked for");
            }
            if (w > MAX_DIMENSION || h > MAX_DIMENSION) {
                throw new IOException("rectangle too large: " + w + "x" + h);
            }
            byte[] pixels = new byte[w * h * bpp];
            server.readFully(pixels);
            for (int ty = 0; ty < h; ty += TILE) {
                for (int tx = 0; tx < w; tx += TILE) {
                    int tw = Math.min(TILE, w - tx);
                    int th = Math.min(TILE, h - ty);
                    rectHeader(out, x + tx, y + ty, tw, th, ENCODING_RAW);
                    for (int row = 0; row < th; row++) {
                        out.write(pixels, ((ty + row) * w + tx) * bpp, tw * bpp);
                    }
                    count++;
                }
            }
        }
        if (count > 0xFFFF) {
            throw new IOException("too many tiles in one update: " + count);
        }
        byte[] b = body.toByteArray();
        byte[] m = new byte[4 + b.length];
        m[0] = 0;
        m[2] = (byte) (count >>> 8);
        m[3] = (byte) count;
        System.arraycopy(b, 0, m, 4, b.length);
        return m;
    }

    private static void rectHeader(DataOutputStream out, int x, int y, int w, int h, int encoding) throws IOException {
        out.writeShort(x);
        out.writeShort(y);
        out.writeShort(w);
        out.writeShort(h);
        out.writeInt(encoding);
    }

    static byte[] setPixelFormat(byte[] format) {
        byte[] m = new byte[20];
        m[0] = 0;
        System.arraycopy(format, 0, m, 4, 16);
        return m;
    }

    static byte[] setEncodings(int... encodings) {
        byte[] m = new byte[4 + 4 * encodings.length];
        m[0] = 2;
        m[2] = (byte) (encodings.length >>> 8);
        m[3] = (byte) encodings.length;
        for (int i = 0; i < encodings.length; i++) {
            int e = encodings[i];
            m[4 + 4 * i] = (byte) (e >>> 24);
            m[5 + 4 * i] = (byte) (e >>> 16);
            m[6 + 4 * i] = (byte) (e >>> 8);
            m[7 + 4 * i] = (byte) e;
        }
        return m;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
