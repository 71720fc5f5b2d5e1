package org.vamt.cira.apf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.UUID;

/**
 * Encodes APF messages and decodes them from a byte stream split anywhere: {@link Decoder} keeps
 * what it has not yet used and hands out a message only once all its bytes are there (there is no
 * outer length; each size follows from the type and the inner lengths).
 */
public final class ApfCodec {
    /** Largest CHANNEL_DATA payload sent: with its 9-byte head a message fits one 4096-byte read (DMT Console). */
    public static final int MAX_DATA_PAYLOAD = 4087;
    /** Largest CHANNEL_DATA payload accepted (the DMT MPS drops a connection beyond 1 MiB too). */
    public static final int MAX_DATA_ACCEPTED = 1 << 20;
    /** Largest string accepted (names, addresses, service names, JSON control). */
    public static final int MAX_STRING = 64 * 1024;

    private ApfCodec() {
    }

    /** The message's bytes, to be written with one write. */
    public static byte[] encode(ApfMessage m) {
        Out o = new Out(m.type());
        if (m instanceof ApfMessage.Disconnect d) {
            o.u32(d.reason()).u8(0).u8(0);
        } else if (m instanceof ApfMessage.ServiceRequest r) {
            o.str(r.service());
        } else if (m instanceof ApfMessage.ServiceAccept a) {
            o.str(a.service());
        } else if (m instanceof ApfMessage.UserAuthRequest r) {
            o.str(r.user()).str(r.service()).str(r.method()).u8(0).str(r.password());
        } else if (m instanceof ApfMessage.UserAuthFailure f) {
            o.str("password").u8(0).u8(0);
        } else if (m instanceof ApfMessage.UserAuthSuccess || m instanceof ApfMessage.RequestFailure) {
            // the type byte alone
        } else if (m instanceof ApfMessage.GlobalRequest g) {
            o.str(g.name()).u8(g.wantReply() ? 1 : 0).str(g.address())
                    .u32(g.port());
        } else if (m instanceof ApfMessage.RequestSuccess s) {
            if (s.port() != null) {
                o.u32(s.port());
            }
        } else if (m instanceof ApfMessage.ChannelOpen c) {
            o.str(c.channelType()).u32(c.sender()).u32(c.window()).u32(c.reserved())
                    .str(c.connectedAddress()).u32(c.connectedPort()).str(c.originatorAddress())
                    .u32(c.originatorPort());
        } else if (m instanceof ApfMessage.ChannelOpenConfirmation c) {
            o.u32(c.recipient()).u32(c.sender()).u32(c.window())
                    .u32(c.reserved());
        } else if (m instanceof ApfMessage.ChannelOpenFailure f) {
            o.u32(f.recipient()).u32(f.reason()).u32(0).u32(0);
        } else if (m instanceof ApfMessage.WindowAdjust w) {
            o.u32(w.recipient()).u32(w.bytes());
        } else if (m instanceof ApfMessage.ChannelData d) {
            o.u32(d.recipient()).u32(d.data().length).bytes(d.data());
        } else if (m instanceof ApfMessage.ChannelClose c) {
            o.u32(c.recipient());
        } else if (m instanceof ApfMessage.ProtocolVersion v) {
            o.u32(v.major()).u32(v.minor()).u32(v.trigger())
                    .bytes(uuidToWire(v.uuid())).bytes(new byte[64]);
        } else if (m instanceof ApfMessage.KeepAliveRequest k) {
            o.u32(k.cookie());
        } else if (m instanceof ApfMessage.KeepAliveReply k) {
            o.u32(k.cookie());
        } else if (m instanceof ApfMessage.KeepAliveOptionsRequest k) {
            o.u32(k.intervalSeconds()).u32(k.timeoutSeconds());
        } else if (m instanceof ApfMessage.KeepAliveOptionsReply k) {
            o.u32(k.intervalSeconds()).u32(k.timeoutSeconds());
        } else if (m instanceof ApfMessage.JsonControl j) {
            o.str(j.json());
        }
        return o.toByteArray();
    }

    /** SMBIOS order: the first three groups little-endian, the last two as written. */
    public static byte[] uuidToWire(UUID uuid) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        byte[] a = b.array();
        reverse(a, 0, 4);
        reverse(a, 4, 2);
        reverse(a, 6, 2);
        return a;
    }

    public static UUID uuidFromWire(byte[] wire) {
        byte[] a = wire.clone();
        reverse(a, 0, 4);
        reverse(a, 4, 2);
        reverse(a, 6, 2);
        ByteBuffer b = ByteBuffer.wrap(a);
        return new UUID(b.getLong(), b.getLong());
    }

    private static void reverse(byte[] a, int off, int len) {
        for (int i = 0, j = len - 1; i < j; i++, j--) {
            byte t = a[off + i];
            a[off + i] = a[off + j];
            a[off + j] = t;
        }
    }

    private static final class Out extends ByteArrayOutputStream {
        Out(int type) {
            super(64);
            write(type);
        }

        Out u8(int v) {
            write(v);
            return this;
        }

        Out u32(int v) {
            write(v >>> 24);
            write(v >>> 16);
            write(v >>> 8);
            write(v);
            return this;
        }

        Out str(String s) {
            byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
            return u32(b.length).bytes(b);
        }

        Out bytes(byte[] b) {
            write(b, 0, b.length);
            return this;
        }
    }

    /**
     * One direction of a connection. Feed it bytes as they arrive ({@link #feed}); take messages with
     * {@link #next} until it returns null (more bytes needed). A REQUEST_SUCCESS is 5 bytes for a
     * tcpip-forward and 1 for a cancel, so the sender of global requests says which answer it awaits
     * ({@link #expectReply}); without that, 5 bytes are assumed.
     */
    public static final class Decoder {
        private byte[] buf = new byte[8192];
        private int start;
        private int end;
        private final Deque<Boolean> replies = new ArrayDeque<>();
        private boolean failed;

        /** A global request was sent whose answer carries a port ({@code tcpip-forward}) or not (cancel). */
        public synchronized void expectReply(boolean withPort) {
            replies.add(withPort);
        }

        public synchronized void feed(byte[] b, int off, int len) {
            int live = end - start;
            if (end + len > buf.length) {
                byte[] target = live + len > buf.length ? new byte[Math.max(buf.length * 2, live + len)] : buf;
                System.arraycopy(buf, start, target, 0, live);
                buf = target;
                start = 0;
                end = live;
            }
            System.arraycopy(b, off, buf, end, len);
            end += len;
        }

        /** Bytes received and not yet used by a message. */
        public synchronized int buffered() {
            return end - start;
        }

        /** The next whole message, or null until more bytes arrive. */
        public synchronized ApfMessage next() throws ApfProtocolException {
            if (failed) {
                throw new ApfProtocolException("the stream already failed");
            }
            if (start == end) {
                return null;
            }
            In in = new In(buf, start, end);
            ApfMessage m;
            try {
                m = parse(in);
            } catch (ApfProtocolException e) {
                failed = true;
                throw e;
            }
            if (m != null) {
                start = in.pos;
                if (start == end) {
                    start = 0;
                    end = 0;
                }
            }
            return m;
        }

        private ApfMessage parse(In in) throws ApfProtocolException {
            int type = in.u8();
            return switch (type) {
                case ApfMessage.DISCONNECT -> {
                    Integer reason = in.u32();
                    yield reason == null || !in.skip(2) ? null : new ApfMessage.Disconnect(reason);
                }
                case ApfMessage.SERVICE_REQUEST -> {
                    String s = in.str();
                    yield s == null ? null : new ApfMessage.ServiceRequest(s);
                }
                case ApfMessage.SERVICE_ACCEPT -> {
                    String s = in.str();
                    yield s == null ? null : new ApfMessage.ServiceAccept(s);
                }
                case ApfMessage.USERAUTH_REQUEST -> {
                    String user = in.str();
                    String service = user == null ? null : in.str();
                    String method = service == null ? null : in.str();
                    if (method == null || !in.skip(1)) {
                        yield null;
                    }
                    String password = in.str();
                    yield password == null ? null : new ApfMessage.UserAuthRequest(user, service, method, password);
                }
                case ApfMessage.USERAUTH_FAILURE -> {
                    // terminal: whatever follows (method list, flags; 15 bytes from MeshCentral) is not read
                    in.pos = in.end;
                    yield new ApfMessage.UserAuthFailure();
                }
                case ApfMessage.USERAUTH_SUCCESS -> new ApfMessage.UserAuthSuccess();
                case ApfMessage.GLOBAL_REQUEST -> {
                    String name = in.str();
                    if (name == null || !in.has(1)) {
                        yield null;
                    }
                    boolean want = in.u8() != 0;
                    if (!name.equals(ApfMessage.TCPIP_FORWARD) && !name.equals(ApfMessage.CANCEL_TCPIP_FORWARD)) {
                        throw new ApfProtocolException("global request '" + shorten(name) + "' is not supported");
                    }
                    String address = in.str();
                    Integer port = address == null ? null : in.u32();
                    yield port == null ? null : new ApfMessage.GlobalRequest(name, want, address, port);
                }
                case ApfMessage.REQUEST_SUCCESS -> {
                    boolean withPort = replies.isEmpty() || replies.peek();
                    if (withPort) {
                        Integer port = in.u32();
                        if (port == null) {
                            yield null;
                        }
                        replies.poll();
                        yield new ApfMessage.RequestSuccess(port);
                    }
                    replies.poll();
                    yield new ApfMessage.RequestSuccess(null);
                }
                case ApfMessage.REQUEST_FAILURE -> {
                    replies.poll();
                    yield new ApfMessage.RequestFailure();
                }
                case ApfMessage.CHANNEL_OPEN -> {
                    String ctype = in.str();
                    Integer sender = ctype == null ? null : in.u32();
                    Integer window = sender == null ? null : in.u32();
                    Integer reserved = window == null ? null : in.u32();
                    String caddr = reserved == null ? null : in.str();
                    Integer cport = caddr == null ? null : in.u32();
                    String oaddr = cport == null ? null : in.str();
                    Integer oport = oaddr == null ? null : in.u32();
                    yield oport == null ? null : new ApfMessage.ChannelOpen(ctype, sender, window, reserved, caddr,
                            cport, oaddr, oport);
                }
                case ApfMessage.CHANNEL_OPEN_CONFIRMATION -> {
                    if (!in.has(16)) {
                        yield null;
                    }
                    yield new ApfMessage.ChannelOpenConfirmation(in.u32(), in.u32(), in.u32(), in.u32());
                }
                case ApfMessage.CHANNEL_OPEN_FAILURE -> {
                    if (!in.has(16)) {
                        yield null;
                    }
                    ApfMessage.ChannelOpenFailure f = new ApfMessage.ChannelOpenFailure(in.u32(), in.u32());
                    in.skip(8);
                    yield f;
                }
                case ApfMessage.CHANNEL_WINDOW_ADJUST -> {
                    if (!in.has(8)) {
                        yield null;
                    }
                    yield new ApfMessage.WindowAdjust(in.u32(), in.u32());
                }
                case ApfMessage.CHANNEL_DATA -> {
                    if (!in.has(8)) {
                        yield null;
                    }
                    int recipient = in.u32();
                    int n = in.u32();
                    if (n < 0 || n > MAX_DATA_ACCEPTED) {
                        throw new ApfProtocolException("CHANNEL_DATA of " + (n & 0xFFFFFFFFL) + " bytes");
                    }
                    byte[] data = in.bytes(n);
                    yield data == null ? null : new ApfMessage.ChannelData(recipient, data);
                }
                case ApfMessage.CHANNEL_CLOSE -> {
                    Integer r = in.u32();
                    yield r == null ? null : new ApfMessage.ChannelClose(r);
                }
                case ApfMessage.PROTOCOL_VERSION -> {
                    if (!in.has(92)) {
                        yield null;
                    }
                    int major = in.u32();
                    int minor = in.u32();
                    int trigger = in.u32();
                    UUID uuid = uuidFromWire(in.bytes(16));
                    in.skip(64);
                    yield new ApfMessage.ProtocolVersion(major, minor, trigger, uuid);
                }
                case ApfMessage.KEEPALIVE_REQUEST -> {
                    Integer c = in.u32();
                    yield c == null ? null : new ApfMessage.KeepAliveRequest(c);
                }
                case ApfMessage.KEEPALIVE_REPLY -> {
                    Integer c = in.u32();
                    yield c == null ? null : new ApfMessage.KeepAliveReply(c);
                }
                case ApfMessage.KEEPALIVE_OPTIONS_REQUEST -> {
                    if (!in.has(8)) {
                        yield null;
                    }
                    yield new ApfMessage.KeepAliveOptionsRequest(in.u32(), in.u32());
                }
                case ApfMessage.KEEPALIVE_OPTIONS_REPLY -> {
                    if (!in.has(8)) {
                        yield null;
                    }
                    yield new ApfMessage.KeepAliveOptionsReply(in.u32(), in.u32());
                }
                case ApfMessage.JSON_CONTROL -> {
                    String s = in.str();
                    yield s == null ? null : new ApfMessage.JsonControl(s);
                }
                default -> throw new ApfProtocolException("unknown APF message type " + type);
            };
        }

        private static String shorten(String s) {
            return s.length() > 40 ? s.substring(0, 40) + "…" : s;
        }
    }

    /** A reader over the buffered bytes; each getter returns null (or false) when the bytes are not all there. */
    private static final class In {
        final byte[] b;
        int pos;
        int end;

        In(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean has(int n) {
            return end - pos >= n;
        }

        int u8() {
            return b[pos++] & 0xFF;
        }

        Integer u32() {
            if (!has(4)) {
                return null;
            }
            int v = ((b[pos] & 0xFF) << 24) | ((b[pos + 1] & 0xFF) << 16) | ((b[pos + 2] & 0xFF) << 8)
                    | (b[pos + 3] & 0xFF);
            pos += 4;
            return v;
        }

        boolean skip(int n) {
            if (!has(n)) {
                return false;
            }
            pos += n;
            return true;
        }

        byte[] bytes(int n) {
            if (!has(n)) {
                return null;
            }
            byte[] r = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return r;
        }

        String str() throws ApfProtocolException {
            if (!has(4)) {
                return null;
            }
            int n = ((b[pos] & 0xFF) << 24) | ((b[pos + 1] & 0xFF) << 16) | ((b[pos + 2] & 0xFF) << 8)
                    | (b[pos + 3] & 0xFF);
            if (n < 0 || n > MAX_STRING) {
                throw new ApfProtocolException("a string of " + (n & 0xFFFFFFFFL) + " bytes");
            }
            if (!has(4 + n)) {
                return null;
            }
            pos += 4;
            String s = new String(b, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }
    }
}
