package org.vamt.cira.apf;

import java.util.Arrays;
import java.util.UUID;

/**
 * The messages of Intel's AMT Port Forwarding protocol (APF), the SSH-like protocol a CIRA device
 * speaks to its Management Presence Server. Byte layouts: docs/cira.md of the research notes, §1.3-1.4
 * (type byte, then big-endian u32 integers and u32-length-prefixed strings; no outer length).
 */
public sealed interface ApfMessage {
    int DISCONNECT = 1;
    int SERVICE_REQUEST = 5;
    int SERVICE_ACCEPT = 6;
    int USERAUTH_REQUEST = 50;
    int USERAUTH_FAILURE = 51;
    int USERAUTH_SUCCESS = 52;
    int GLOBAL_REQUEST = 80;
    int REQUEST_SUCCESS = 81;
    int REQUEST_FAILURE = 82;
    int CHANNEL_OPEN = 90;
    int CHANNEL_OPEN_CONFIRMATION = 91;
    int CHANNEL_OPEN_FAILURE = 92;
    int CHANNEL_WINDOW_ADJUST = 93;
    int CHANNEL_DATA = 94;
    int CHANNEL_CLOSE = 97;
    int PROTOCOL_VERSION = 192;
    int KEEPALIVE_REQUEST = 208;
    int KEEPALIVE_REPLY = 209;
    int KEEPALIVE_OPTIONS_REQUEST = 210;
    int KEEPALIVE_OPTIONS_REPLY = 211;
    int JSON_CONTROL = 250;

    /** Disconnect reason: by application (a graceful close). */
    int DISCONNECT_BY_APPLICATION = 11;
    /** Channel-open failure reasons. */
    int OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
    int OPEN_CONNECT_FAILED = 2;
    int OPEN_UNKNOWN_CHANNEL_TYPE = 3;
    int OPEN_RESOURCE_SHORTAGE = 4;

    String AUTH_SERVICE = "auth@amt.intel.com";
    String PFWD_SERVICE = "pfwd@amt.intel.com";
    String TCPIP_FORWARD = "tcpip-forward";
    String CANCEL_TCPIP_FORWARD = "cancel-tcpip-forward";
    String FORWARDED_TCPIP = "forwarded-tcpip";

    /** The message's type byte. */
    int type();

    /** 7 bytes: reason, two zero bytes. */
    record Disconnect(int reason) implements ApfMessage {
        public int type() {
            return DISCONNECT;
        }
    }

    record ServiceRequest(String service) implements ApfMessage {
        public int type() {
            return SERVICE_REQUEST;
        }
    }

    record ServiceAccept(String service) implements ApfMessage {
        public int type() {
            return SERVICE_ACCEPT;
        }
    }

    /** Password login; the change-password flag is always false. The password never shows in {@link #toString}. */
    record UserAuthRequest(String user, String service, String method, String password) implements ApfMessage {
        public int type() {
            return USERAUTH_REQUEST;
        }

        @Override
        public String toString() {
            return "UserAuthRequest[user=" + user + ", service=" + service + ", method=" + method + "]";
        }
    }

    /** Terminal: the MPS closes the connection after it; its tail (methods, flags) is not interpreted. */
    record UserAuthFailure() implements ApfMessage {
        public int type() {
            return USERAUTH_FAILURE;
        }
    }

    record UserAuthSuccess() implements ApfMessage {
        public int type() {
            return USERAUTH_SUCCESS;
        }
    }

    /** {@code tcpip-forward} / {@code cancel-tcpip-forward}: the device's host name and a port. */
    record GlobalRequest(String name, boolean wantReply, String address, int port) implements ApfMessage {
        public int type() {
            return GLOBAL_REQUEST;
        }
    }

    /** The answer to a global request: 5 bytes with the port (tcpip-forward), 1 without (cancel). */
    record RequestSuccess(Integer port) implements ApfMessage {
        public int type() {
            return REQUEST_SUCCESS;
        }
    }

    record RequestFailure() implements ApfMessage {
        public int type() {
            return REQUEST_FAILURE;
        }
    }

    record ChannelOpen(String channelType, int sender, int window, int reserved, String connectedAddress,
                       int connectedPort, String originatorAddress, int originatorPort) implements ApfMessage {
        public int type() {
            return CHANNEL_OPEN;
        }
    }

    record ChannelOpenConfirmation(int recipient, int sender, int window, int reserved) implements ApfMessage {
        public int type() {
            return CHANNEL_OPEN_CONFIRMATION;
        }
    }

    /** 17 bytes: recipient, reason, two zero words. */
    record ChannelOpenFailure(int recipient, int reason) implements ApfMessage {
        public int type() {
            return CHANNEL_OPEN_FAILURE;
        }
    }

    record WindowAdjust(int recipient, int bytes) implements ApfMessage {
        public int type() {
            return CHANNEL_WINDOW_ADJUST;
        }
    }

    record ChannelData(int recipient, byte[] data) implements ApfMessage {
        public int type() {
            return CHANNEL_DATA;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChannelData d && d.recipient == recipient && Arrays.equals(d.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * recipient + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "ChannelData[recipient=" + recipient + ", " + data.length + " bytes]";
        }
    }

    record ChannelClose(int recipient) implements ApfMessage {
        public int type() {
            return CHANNEL_CLOSE;
        }
    }

    /** 93 bytes; the UUID goes on the wire with its first three groups little-endian (SMBIOS order). */
    record ProtocolVersion(int major, int minor, int trigger, UUID uuid) implements ApfMessage {
        /** Trigger reasons. */
        public static final int USER_INITIATED = 1;
        public static final int ALERT = 2;
        public static final int PERIODIC = 4;

        public int type() {
            return PROTOCOL_VERSION;
        }
    }

    record KeepAliveRequest(int cookie) implements ApfMessage {
        public int type() {
            return KEEPALIVE_REQUEST;
        }
    }

    record KeepAliveReply(int cookie) implements ApfMessage {
        public int type() {
            return KEEPALIVE_REPLY;
        }
    }

    record KeepAliveOptionsRequest(int intervalSeconds, int timeoutSeconds) implements ApfMessage {
        public int type() {
            return KEEPALIVE_OPTIONS_REQUEST;
        }
    }

    record KeepAliveOptionsReply(int intervalSeconds, int timeoutSeconds) implements ApfMessage {
        public int type() {
            return KEEPALIVE_OPTIONS_REPLY;
        }
    }

    /** MeshCentral's own message (relay and LMS connections only); read and ignored, never sent. */
    record JsonControl(String json) implements ApfMessage {
        public int type() {
            return JSON_CONTROL;
        }
    }
}
