package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IDE-R over real sockets: a console answering as MeshCentral's IDE-R client does (message layouts
 * of its amt-ider-module.js), the AMT side reading its CD image, and the NBD export of it read by
 * QEMU's own NBD client (qemu-img).
 */
class IderSessionTest {
    private static final int BLOCKS = 300;   // 600 KiB: several read-ahead windows, a short last one

    @TempDir
    Path dir;

    private final byte[] image = new byte[BLOCKS * 2048];
    private ServerSocket listener;
    private Socket amtSide;
    private Thread console;
    private Thread reader;
    private IderSession session;

    {
        new Random(42).nextBytes(image);
    }

    @AfterEach
    void close() throws Exception {
        if (session != null) {
            session.close();
        }
        if (listener != null) {
            listener.close();
        }
        if (console != null) {
            console.interrupt();
            console.join(5000);
        }
        if (reader != null) {
            reader.join(5000);
        }
    }

    /** The console (client side) in a thread; answers READ(10) until {@code answerReads} were answered. */
    private void start(int answerReads, long commandTimeoutMillis) throws Exception {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        AtomicInteger reads = new AtomicInteger();
        console = new Thread(() -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                new Console(s, image, answerReads, reads).run();
            } catch (IOException e) {
                // the session ended
            }
        });
        console.start();
        amtSide = listener.accept();
        session = new IderSession(amtSide, amtSide.getInputStream(), new SessionOutput(amtSide.getOutputStream()),
                "test", commandTimeoutMillis);
        reader = new Thread(() -> {
            try {
                session.serve();
            } catch (IOException e) {
                // ended
            }
        });
        reader.start();
        assertTrue(session.awaitEnabled(5000), "the console enables the device after the open-session reply");
    }

    @Test
    void cdImageIsReadThroughNbdByQemu() throws Exception {
        start(Integer.MAX_VALUE, 5000);
        long[] capacity = session.readCapacity(IderSession.DEVICE_CD);
        assertEquals(BLOCKS - 1, capacity[0]);
        assertEquals(2048, capacity[1]);
        IderSession.CommandFailed noFloppy = assertThrows(IderSession.CommandFailed.class,
                () -> session.readCapacity(IderSession.DEVICE_FLOPPY));
        assertEquals(2, noFloppy.senseKey, "NOT READY: medium not present");
        IderDrive cd = new IderDrive(session, IderSession.DEVICE_CD, capacity[0], 2048, 128 * 1024);
        try (NbdServer nbd = new NbdServer(0)) {
            String export = nbd.export(cd);
            Path copy = dir.resolve("copy.iso");
            String url = "nbd://127.0.0.1:" + nbd.address().getPort() + "/" + export;
            Process p = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "raw", url, copy.toString())
                    .redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.exitValue(), out);
            assertArrayEquals(image, Files.readAllBytes(copy));

            // a guessed name gets nothing
            Process wrong = new ProcessBuilder("qemu-img", "info", "nbd://127.0.0.1:" + nbd.address().getPort()
                    + "/ider-00").redirectErrorStream(true).start();
            assertTrue(wrong.waitFor(30, TimeUnit.SECONDS));
            assertTrue(wrong.exitValue() != 0, "an unknown export is refused");
        }
    }

    @Test
    void consoleThatStopsAnsweringFailsTheReadInBoundedTime() throws Exception {
        start(1, 1500);
        long[] capacity = session.readCapacity(IderSession.DEVICE_CD);
        IderDrive cd = new IderDrive(session, IderSession.DEVICE_CD, capacity[0], 2048, 64 * 1024);
        byte[] first = new byte[4096];
        cd.read(0, first, 0, first.length);
        assertArrayEquals(java.util.Arrays.copyOf(image, 4096), first);
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> cd.read(200 * 2048, new byte[2048], 0, 2048));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 1400 && millis < 5000, "failed after " + millis + " ms: " + e.getMessage());
        assertTrue(session.isClosed(), "a console that does not answer is disconnected");
        assertThrows(IOException.class, () -> cd.read(250 * 2048, new byte[2048], 0, 2048), "later reads fail at once");
    }

    @Test
    void consoleThatDisconnectsMidReadFailsTheReadAtOnce() throws Exception {
        start(-1, 10_000);   // -1: the console hangs up on the first READ(10)
        long[] capacity = session.readCapacity(IderSession.DEVICE_CD);
        IderDrive cd = new IderDrive(session, IderSession.DEVICE_CD, capacity[0], 2048, 64 * 1024);
        long start = System.nanoTime();
        assertThrows(IOException.class, () -> cd.read(0, new byte[2048], 0, 2048));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, "failed after " + millis + " ms, not the 10 s command timeout");
        reader.join(5000);
        assertTrue(session.isClosed());
    }

    /** The console side, answering as MeshCentral's IDE-R client: CD image present, no floppy. */
    private static final class Console {
        private final DataInputStream in;
        private final OutputStream out;
        private final byte[] cd;
        private final int answerReads;
        private final AtomicInteger reads;
        private int sequence;

        Console(Socket s, byte[] cd, int answerReads, AtomicInteger reads) throws IOException {
            this.in = new DataInputStream(s.getInputStream());
            this.out = s.getOutputStream();
            this.cd = cd;
            this.answerReads = answerReads;
            this.reads = reads;
        }

        void run() throws IOException {
            send(0x40, 0, new byte[] {0x30, 0x75, 0, 0, 0x20, 0x4e, 1, 0, 0, 0});
            while (true) {
                int type = in.readUnsignedByte();
                byte[] header = new byte[7];
                in.readFully(header);
                switch (type) {
                    case 0x41 -> {
                        byte[] rest = new byte[22];
                        in.readFully(rest);
                        assertEquals(0, rest[13], "protocol 0");
                        send(0x48, 0, new byte[] {3, 0x09, 0, 0, 0});   // toggle: enable, on reboot
                    }
                    case 0x49 -> in.readFully(new byte[5]);
                    case 0x44 -> send(0x45, 0, new byte[0]);
                    case 0x4B -> {
                    }
                    case 0x50 -> {
                        byte[] cmd = new byte[20];
                        in.readFully(cmd);
                        command(cmd[6] & 0xFF, java.util.Arrays.copyOfRange(cmd, 8, 20));
                    }
                    default -> throw new IOException("unexpected " + type);
                }
            }
        }

        private void command(int device, byte[] cdb) throws IOException {
            if (device != IderSession.DEVICE_CD) {
                end(device, 0x02, 0x3a);
                return;
            }
            switch (cdb[0] & 0xFF) {
                case 0x25 -> {
                    int last = cd.length / 2048 - 1;
                    data(device, true, new byte[] {(byte) (last >> 24), (byte) (last >> 16), (byte) (last >> 8),
                        (byte) last, 0, 0, 8, 0});
                }
                case 0x28 -> {
                    if (answerReads < 0) {
                        throw new IOException("hangs up");   // the socket closes with the thread's try
                    }
                    if (reads.incrementAndGet() > answerReads) {
                        return;   // stalls, as a console whose network stopped
                    }
                    long lba = ((cdb[2] & 0xFFL) << 24) | ((cdb[3] & 0xFF) << 16) | ((cdb[4] & 0xFF) << 8)
                            | (cdb[5] & 0xFF);
                    int blocks = ((cdb[7] & 0xFF) << 8) | (cdb[8] & 0xFF);
                    int from = (int) lba * 2048;
                    int left = blocks * 2048;
                    while (left > 0) {
                        int n = Math.min(left, 8192);
                        data(device, n == left, java.util.Arrays.copyOfRange(cd, from, from + n));
                        from += n;
                        left -= n;
                    }
                }
                default -> end(device, 0x05, 0x20);
            }
        }

        /** DATA_TO_HOST, as MeshCentral's SendDataToHost lays it out. */
        private void data(int device, boolean completed, byte[] data) throws IOException {
            byte[] p = new byte[26 + data.length];
            p[1] = (byte) data.length;
            p[2] = (byte) (data.length >> 8);
            p[4] = (byte) 0xb5;
            p[6] = 2;
            p[8] = (byte) data.length;
            p[9] = (byte) (data.length >> 8);
            p[10] = (byte) device;
            p[11] = 0x58;
            if (completed) {
                p[12] = (byte) 0x85;
                p[14] = 3;
                p[18] = (byte) device;
                p[19] = 0x50;
            }
            System.arraycopy(data, 0, p, 26, data.length);
            send(0x54, completed ? 2 : 0, p);
        }

        /** COMMAND_END_RESPONSE with sense data, as MeshCentral's SendCommandEndResponse(0, …). */
        private void end(int device, int sense, int asc) throws IOException {
            byte[] p = new byte[23];
            p[12] = (byte) 0x87;
            p[13] = (byte) (sense << 4);
            p[14] = 3;
            p[18] = (byte) device;
            p[19] = 0x51;
            p[20] = (byte) sense;
            p[21] = (byte) asc;
            send(0x51, 2, p);
        }

        private void send(int type, int attributes, byte[] payload) throws IOException {
            byte[] b = new byte[8 + payload.length];
            b[0] = (byte) type;
            b[3] = (byte) attributes;
            Messages.putInt(b, 4, sequence++);
            System.arraycopy(payload, 0, b, 8, payload.length);
            synchronized (out) {
                out.write(b);
                out.flush();
            }
        }
    }
}
