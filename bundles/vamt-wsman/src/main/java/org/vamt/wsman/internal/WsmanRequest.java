package org.vamt.wsman.internal;

import java.util.Map;
import org.w3c.dom.Element;

/**
 * A parsed WS-Management request: the addressing and WS-Management headers and the body's root
 * element (null when the body is empty), and the whole Header (null when there is none) for the
 * few operations that read more of it (a subscriber's credentials, a subscription's identifier).
 */
record WsmanRequest(String action, String to, String messageId, String resourceUri,
                    Map<String, Object> selectors, Long maxEnvelopeSize, String operationTimeout, Element body,
                    Element header) {

    boolean isIdentify() {
        return action == null && body != null && Ns.WSMID.equals(body.getNamespaceURI())
                && "Identify".equals(body.getLocalName());
    }
}
