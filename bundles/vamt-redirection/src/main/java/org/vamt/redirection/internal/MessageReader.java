package org.vamt.redirection.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Cuts the client's byte stream into redirection messages. Each type has a fixed length or
 * carries its own length field; an unknown type or an oversized length ends the session, since
 * the stream cannot be resynchronized.
 */
final class MessageReader {
    /** Largest authentication data accepted (user, realm, nonce, uri… are each at most 255 bytes). */
    static final int MAX_AUTH_DATA = 8 * 256;
    /** Largest SOL payload accepted in one message. */
    static final int MAX_SOL_DATA = 65535;

    /** A message type the server does not understand, or a length it will not read. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    private final DataInputStream in;

    MessageReader(InputStream in) {
        this.in = new DataInputStream(in);
    }

    /** The next whole message, type byte first; EOFException when the client closed cleanly between messages. */
    byte[] next() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("client closed the session");
        }
        return switch (type) {
            case Messages.END_SESSION -> rest(type, 4);
            case Messages.START_SESSION, Messages.SOL_END, Messages.KEEP_ALIVE_PING, Messages.KEEP_ALIVE_PONG,
                 Messages.SOL_HEARTBEAT, Messages.KVM_START -> rest(type, 8);
            case Messages.SOL_SETTINGS_ACK -> rest(type, 14);
            case Messages.SOL_START -> rest(type, 24);
            case Messages.AUTHENTICATE -> withLength(type, 9, 5, 4, MAX_AUTH_DATA);
            case Messages.SOL_DATA_TO_HOST -> withLength(type, 10, 8, 2, MAX_SOL_DATA);
            default -> throw new ProtocolException(String.format("unknown message type 0x%02X", type));
        };
    }

    private byte[] rest(int type, int total) throws IOException {
        byte[] b = new byte[total];
        b[0] = (byte) type;
        in.readFully(b, 1, total - 1);
        return b;
    }

    /** A header of {@code header} bytes whose little-endian length field at {@code at} counts the data after it. */
    private byte[] withLength(int type, int header, int at, int width, int max) throws IOException {
        byte[] head = rest(type, header);
        long length = width == 4 ? Messages.getInt(head, at) & 0xFFFFFFFFL : Messages.getShort(head, at);
        if (length > max) {
            throw new ProtocolException(String.format("message 0x%02X announces %d bytes, more than %d", type,
                    length, max));
        }
        byte[] b = new byte[header + (int) length];
        System.arraycopy(head, 0, b, 0, header);
        in.readFully(b, header, (int) length);
        return b;
    }
}
