package org.vamt.redirection.internal;

import java.nio.charset.StandardCharsets;

/**
 * The redirection protocol's messages (compat section 5): little-endian, one type byte first.
 * Only what a server sends is built here; what it reads is framed by {@link MessageReader}.
 */
final class Messages {
    static final int START_SESSION = 0x10;
    static final int START_SESSION_REPLY = 0x11;
    static final int END_SESSION = 0x12;
    static final int AUTHENTICATE = 0x13;
    static final int AUTHENTICATE_REPLY = 0x14;
    static final int SOL_START = 0x20;
    static final int SOL_START_REPLY = 0x21;
    static final int SOL_END = 0x22;
    static final int SOL_END_REPLY = 0x23;
    static final int KEEP_ALIVE_PING = 0x24;
    static final int KEEP_ALIVE_PONG = 0x25;
    /** Sent by MeshCentral right after the SOL start reply; its meaning is not documented: ignored. */
    static final int SOL_SETTINGS_ACK = 0x27;
    static final int SOL_DATA_TO_HOST = 0x28;
    static final int SOL_CONTROLS_FROM_HOST = 0x29;
    static final int SOL_DATA_FROM_HOST = 0x2A;
    static final int SOL_HEARTBEAT = 0x2B;
    static final int KVM_START = 0x40;
    static final int KVM_START_REPLY = 0x41;

    /** StartRedirectionSessionReply status. */
    static final int STATUS_OK = 0;
    static final int STATUS_TYPE_UNKNOWN = 1;
    static final int STATUS_BUSY = 2;
    static final int STATUS_UNSUPPORTED = 3;
    static final int STATUS_ERROR = 0xFF;

    /** AuthenticateSessionReply status. */
    static final int AUTH_SUCCESS = 0;
    static final int AUTH_FAILURE = 1;
    static final int AUTH_NOT_SUPPORTED = 2;

    /** Authentication types. */
    static final int AUTH_QUERY = 0;
    static final int AUTH_PLAIN = 1;
    static final int AUTH_DIGEST_2069 = 3;
    static final int AUTH_DIGEST = 4;

    /** 0x29 status bit: the system has power (amtterm prints "powered off" without it). */
    static final int SOL_STATUS_POWER_ON = 4;

    /** Redirection protocol version and the firmware version in the start reply. */
    private static final int PROTOCOL_MAJOR = 1;
    private static final int PROTOCOL_MINOR = 0;
    private static final int FIRMWARE_MAJOR = 16;
    private static final int FIRMWARE_MINOR = 1;
    /** Intel's IANA enterprise number, as AMT sends it. */
    private static final int INTEL_IANA = 343;

    /** Largest SOL payload in one 0x2A message (AMT clients buffer a few kB). */
    static final int MAX_SOL_CHUNK = 4096;

    private Messages() {
    }

    static byte[] startSessionReply(int status) {
        if (status != STATUS_OK) {
            // a refusal carries no version data; clients read the status byte only
            return new byte[] {START_SESSION_REPLY, (byte) status, 0, 0};
        }
        byte[] b = new byte[13];
        b[0] = START_SESSION_REPLY;
        b[1] = (byte) status;
        b[4] = PROTOCOL_MAJOR;
        b[5] = PROTOCOL_MINOR;
        b[6] = FIRMWARE_MAJOR;
        b[7] = FIRMWARE_MINOR;
        putInt(b, 8, INTEL_IANA);
        b[12] = 0;
        return b;
    }

    static byte[] authenticateReply(int status, int authType, byte[] data) {
        byte[] b = new byte[9 + data.length];
        b[0] = AUTHENTICATE_REPLY;
        b[1] = (byte) status;
        b[4] = (byte) authType;
        putInt(b, 5, data.length);
        System.arraycopy(data, 0, b, 9, data.length);
        return b;
    }

    /** The 23-byte SOL start reply: status 0, then the request's sequence and settings mirrored. */
    static byte[] solStartReply(byte[] request) {
        byte[] b = new byte[23];
        b[0] = SOL_START_REPLY;
        b[1] = STATUS_OK;
        System.arraycopy(request, 4, b, 4, 16);
        return b;
    }

    static byte[] solData(int sequence, byte[] data, int offset, int length) {
        byte[] b = new byte[10 + length];
        b[0] = SOL_DATA_FROM_HOST;
        putInt(b, 4, sequence);
        b[8] = (byte) length;
        b[9] = (byte) (length >>> 8);
        System.arraycopy(data, offset, b, 10, length);
        return b;
    }

    static byte[] solControls(int sequence, boolean powerOn) {
        byte[] b = new byte[10];
        b[0] = SOL_CONTROLS_FROM_HOST;
        putInt(b, 4, sequence);
        b[9] = (byte) (powerOn ? SOL_STATUS_POWER_ON : 0);
        return b;
    }

    /** An 8-byte message: type, three zero bytes, sequence (heartbeat, pong, SOL end reply). */
    static byte[] simple(int type, int sequence) {
        byte[] b = new byte[8];
        b[0] = (byte) type;
        putInt(b, 4, sequence);
        return b;
    }

    static byte[] kvmStartReply() {
        return new byte[] {KVM_START_REPLY, 0, 0, 0, 0, 0, 0, 0};
    }

    /** The session type named in a StartRedirectionSession ("SOL ", "KVMR", "IDER"). */
    static String sessionType(byte[] start) {
        return new String(start, 4, 4, StandardCharsets.US_ASCII);
    }

    static int getInt(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8 | (b[offset + 2] & 0xFF) << 16
                | (b[offset + 3] & 0xFF) << 24;
    }

    static int getShort(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8;
    }

    static void putInt(byte[] b, int offset, int v) {
        b[offset] = (byte) v;
        b[offset + 1] = (byte) (v >>> 8);
        b[offset + 2] = (byte) (v >>> 16);
        b[offset + 3] = (byte) (v >>> 24);
    }
}
