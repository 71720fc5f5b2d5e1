package org.vamt.wsman.eventing;

import java.util.Optional;

/** The WS-Eventing delivery modes AMT offers: both push an HTTP POST per event to NotifyTo. */
public enum DeliveryMode {
    /** WS-Eventing push: the subscriber's HTTP answer is all the acknowledgement there is. */
    PUSH("http://schemas.xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push"),
    /** DSP0226 PushWithAck: each event asks for a wsman Ack ({@code AckRequested}) in the answer. */
    PUSH_WITH_ACK("http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck");

    private final String uri;

    DeliveryMode(String uri) {
        this.uri = uri;
    }

    public String uri() {
        return uri;
    }

    /** The mode a Delivery's Mode attribute names; absent means Push (WS-Eventing's default). */
    public static Optional<DeliveryMode> fromUri(String uri) {
        if (uri == null || uri.isBlank()) {
            return Optional.of(PUSH);
        }
        for (DeliveryMode m : values()) {
            if (m.uri.equals(uri.trim())) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
