package org.vamt.redirection.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only NBD server on loopback (fixed newstyle handshake, simple replies) through which QEMU
 * reads the media of IDE-R sessions. Each medium is an export with a random 128-bit name, the only
 * thing that keeps other local clients out: names are never listed. A connection to a name that is
 * gone, or a medium whose session ended, gets errors, never a wait without end.
 */
final class NbdServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    /** What an export reads. */
    interface Image {
        long size();

        /** Reads {@code length} bytes at {@code offset}; IOException when the medium cannot be read. */
        void read(long offset, byte[] into, int at, int length) throws IOException;
    }

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long REPLY_MAGIC = 0x3e889045565a9L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;

    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;

    private static final int OPT_EXPORT_NAME = 1;
    private static final int OPT_ABORT = 2;
    private static final int OPT_LIST = 3;
    private static final int OPT_INFO = 6;
    private static final int OPT_GO = 7;

    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int REP_ERR_UNSUP = 0x80000001;
    private static final int REP_ERR_POLICY = 0x80000002;
    private static final int REP_ERR_INVALID = 0x80000003;
    private static final int REP_ERR_UNKNOWN = 0x80000006;

    private static final int INFO_EXPORT = 0;
    private static final int INFO_BLOCK_SIZE = 3;

    /** Transmission flags: has flags, read-only, can do multiple connections (reads only). */
    private static final int TRANSMISSION_FLAGS = 1 | 2 | 256;

    private static final int CMD_READ = 0;
    private static final int CMD_DISC = 2;
    private static final int CMD_FLUSH = 3;
    private static final int CMD_CACHE = 5;

    private static final int EPERM = 1;
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int ENOTSUP = 95;

    /** Largest read served in one request (QEMU asks for at most 32 MiB). */
    private static final int MAX_READ = 32 * 1024 * 1024;
    private static final int MAX_OPTION = 4096;

    private final ServerSocket server;
    private final Map<String, Image> exports = new ConcurrentHashMap<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Map<Socket, String> exportOf = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Thread acceptor;

    /** Listens on {@code port} (0: any free one) of the loopback address only. */
    NbdServer(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        acceptor = new Thread(this::accept, "vamt-ider-nbd-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Publishes an image under a new random name. */
    String export(Image image) {
        byte[] b = new byte[16];
        random.nextBytes(b);
        String name = "ider-" + HexFormat.of().formatHex(b);
        exports.put(name, image);
        return name;
    }

    /** Withdraws the export and ends the connections reading it. */
    void withdraw(String name) {
        exports.remove(name);
        exportOf.forEach((s, n) -> {
            if (n.equals(name)) {
                closeQuietly(s);
            }
        });
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "vamt-ider-nbd");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("NBD listener: accept failed: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000);   // the handshake; transmission waits as long as the client wants
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 65536));
            String name = handshake(in, out, s);
            if (name == null) {
                return;
            }
            s.setSoTimeout(0);
            transmission(in, out, name);
        } catch (EOFException e) {
            LOG.debug("NBD client gone");
        } catch (IOException e) {
            LOG.debug("NBD connection ended: {}", e.getMessage());
        } finally {
            connections.remove(s);
            exportOf.remove(s);
        }
    }

    /** The fixed newstyle negotiation; the export chosen, or null when the client left or asked for an unknown one. */
    private String handshake(DataInputStream in, DataOutputStream out, Socket s) throws IOException {
        out.writeLong(NBDMAGIC);
        out.writeLong(IHAVEOPT);
        out.writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        out.flush();
        int clientFlags = in.readInt();
        boolean noZeroes = (clientFlags & FLAG_NO_ZEROES) != 0;
        while (true) {
            if (in.readLong() != IHAVEOPT) {
                throw new IOException("bad option magic");
            }
            int option = in.readInt();
            int length = in.readInt();
            if (length < 0 || length > MAX_OPTION) {
                throw new IOException("option of " + length + " bytes");
            }
            byte[] data = new byte[length];
            in.readFully(data);
            switch (option) {
                case OPT_EXPORT_NAME -> {
                    String name = new String(data, StandardCharsets.UTF_8);
                    Image image = exports.get(name);
                    if (image == null) {
                        return null;   // this option has no error reply: the connection closes
                    }
                    exportOf.put(s, name);
                    out.writeLong(image.size());
                    out.writeShort(TRANSMISSION_FLAGS);
                    if (!noZeroes) {
                        out.write(new byte[124]);
                    }
                    out.flush();
                    return name;
                }
                case OPT_GO, OPT_INFO -> {
                    String name = goName(data);
                    if (name == null) {
                        reply(out, option, REP_ERR_INVALID, new byte[0]);
                        continue;
                    }
                    Image image = exports.get(name);
                    if (image == null) {
                        reply(out, option, REP_ERR_UNKNOWN, new byte[0]);
                        continue;
                    }
                    java.nio.ByteBuffer info = java.nio.ByteBuffer.allocate(12);
                    info.putShort((short) INFO_EXPORT).putLong(image.size()).putShort((short) TRANSMISSION_FLAGS);
                    reply(out, option, REP_INFO, info.array());
                    java.nio.ByteBuffer sizes = java.nio.ByteBuffer.allocate(14);
                    sizes.putShort((short) INFO_BLOCK_SIZE).putInt(1).putInt(2048).putInt(MAX_READ);
                    reply(out, option, REP_INFO, sizes.array());
                    reply(out, option, REP_ACK, new byte[0]);
                    if (option == OPT_GO) {
                        exportOf.put(s, name);
                        return name;
                    }
                }
                case OPT_ABORT -> {
                    reply(out, option, REP_ACK, new byte[0]);
                    return null;
                }
                case OPT_LIST -> reply(out, option, REP_ERR_POLICY, new byte[0]);   // names are secrets
                default -> reply(out, option, REP_ERR_UNSUP, new byte[0]);
            }
        }
    }

    /** The export name of an NBD_OPT_GO/INFO request, or null when the data is malformed. */
    private static String goName(byte[] data) {
        if (data.length < 6) {
            return null;
        }
        int n = java.nio.ByteBuffer.wrap(data).getInt();
        if (n < 0 || 4 + n + 2 > data.length) {
            return null;
        }
        return new String(data, 4, n, StandardCharsets.UTF_8);
    }

    private static void reply(DataOutputStream out, int option, int type, byte[] data) throws IOException {
        out.writeLong(REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    private void transmission(DataInputStream in, DataOutputStream out, String name) throws IOException {
        byte[] buffer = new byte[0];
        while (true) {
            if (in.readInt() != REQUEST_MAGIC) {
                throw new IOException("bad request magic");
            }
            in.readUnsignedShort();   // command flags
            int type = in.readUnsignedShort();
            long handle = in.readLong();
            long offset = in.readLong();
            long length = in.readInt() & 0xFFFFFFFFL;
            switch (type) {
                case CMD_READ -> {
                    Image image = exports.get(name);
                    int error = 0;
                    if (image == null) {
                        error = EIO;   // the session ended: the medium is gone
                    } else if (length > MAX_READ || offset < 0 || offset + length > image.size()) {
                        error = EINVAL;
                    } else {
                        if (buffer.length < length) {
                            buffer = new byte[(int) length];
                        }
                        try {
                            image.read(offset, buffer, 0, (int) length);
                        } catch (IOException e) {
                            LOG.debug("NBD read of {} bytes at {} failed: {}", length, offset, e.getMessage());
                            error = EIO;
                        }
                    }
                    simpleReply(out, error, handle);
                    if (error == 0) {
                        out.write(buffer, 0, (int) length);
                    }
                    out.flush();
                }
                case CMD_DISC -> {
                    return;
                }
                case CMD_FLUSH, CMD_CACHE -> {
                    simpleReply(out, 0, handle);
                    out.flush();
                }
                case 1, 4, 6 -> {   // write, trim, write zeroes: the export is read-only
                    if (type == 1) {
                        in.skipNBytes(length);
                    }
                    simpleReply(out, EPERM, handle);
                    out.flush();
                }
                default -> {
                    simpleReply(out, type > 255 ? EINVAL : ENOTSUP, handle);
                    out.flush();
                }
            }
        }
    }

    private static void simpleReply(DataOutputStream out, int error, long handle) throws IOException {
        out.writeInt(SIMPLE_REPLY_MAGIC);
        out.writeInt(error);
        out.writeLong(handle);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        connections.forEach(NbdServer::closeQuietly);
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
