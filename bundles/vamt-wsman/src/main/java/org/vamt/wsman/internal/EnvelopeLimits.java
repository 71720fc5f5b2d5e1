package org.vamt.wsman.internal;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Shape limits on a parsed envelope, so that hostile but well-formed XML (thousands of headers,
 * elements nested thousands deep) is refused with a fault before any code walks it. The byte limit
 * on the request is enforced before parsing; these bound what fits inside it. The parser does not
 * build elements below {@link #MAX_DEPTH} at all.
 */
final class EnvelopeLimits {
    static final int MAX_DEPTH = 32;
    static final int MAX_HEADERS = 64;
    static final int MAX_ELEMENTS = 20_000;

    private EnvelopeLimits() {
    }

    static void check(Element envelope) throws WsmanFault {
        Element header = RequestParser.child(envelope, Ns.SOAP, "Header");
        if (header != null && RequestParser.children(header).size() > MAX_HEADERS) {
            throw WsmanFault.encodingLimit("More than " + MAX_HEADERS + " SOAP headers.", "ServiceEnvelopeLimit");
        }
        int[] elements = {0};
        walk(envelope, 1, elements);
    }

    static WsmanFault tooDeep() {
        return WsmanFault.encodingLimit("Elements are nested deeper than " + MAX_DEPTH + " levels.",
                "ServiceEnvelopeLimit");
    }

    /** Iterative in spirit: the depth bound keeps this recursion shallow. */
    private static void walk(Node node, int depth, int[] elements) throws WsmanFault {
        if (depth > MAX_DEPTH) {
            throw tooDeep();
        }
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c.getNodeType() == Node.ELEMENT_NODE) {
                if (++elements[0] > MAX_ELEMENTS) {
                    throw WsmanFault.encodingLimit("More than " + MAX_ELEMENTS + " elements.", "ServiceEnvelopeLimit");
                }
                walk(c, depth + 1, elements);
            }
        }
    }
}
