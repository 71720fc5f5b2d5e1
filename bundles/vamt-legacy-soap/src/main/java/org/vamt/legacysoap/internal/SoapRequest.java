package org.vamt.legacysoap.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.vamt.security.xml.SafeXml;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * One legacy SOAP call: the method element of the Body and its simple arguments. Envelope and
 * Body are matched by local name only, because SOAP::Lite sends RemoteControl in an envelope
 * without any namespace (compat §6); the method element must be in the service's namespace.
 *
 * @param method    local name of the Body's first element
 * @param namespace its namespace, or null
 * @param arguments its element children by local name, as trimmed text (first one wins)
 */
record SoapRequest(String method, String namespace, Map<String, String> arguments) {
    private static final int MAX_ARGUMENTS = 32;

    /** Bad input: not XML, not an envelope, no method. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    private static final ThreadLocal<DocumentBuilderFactory> FACTORIES = ThreadLocal.withInitial(SafeXml::factory);

    static SoapRequest parse(byte[] body) throws Malformed {
        Element envelope;
        try {
            DocumentBuilder builder = FACTORIES.get().newDocumentBuilder();
            builder.setErrorHandler(null);
            envelope = builder.parse(new ByteArrayInputStream(body)).getDocumentElement();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened", e);
        } catch (SAXException | IOException e) {
            throw new Malformed("The request is not well-formed XML.");
        }
        if (!"Envelope".equals(envelope.getLocalName())) {
            throw new Malformed("The request is not a SOAP envelope.");
        }
        Element soapBody = null;
        for (Element e = firstElement(envelope); e != null; e = nextElement(e)) {
            if ("Body".equals(e.getLocalName())) {
                soapBody = e;
                break;
            }
        }
        if (soapBody == null) {
            throw new Malformed("The envelope has no Body.");
        }
        Element method = firstElement(soapBody);
        if (method == null) {
            throw new Malformed("The Body names no method.");
        }
        Map<String, String> args = new LinkedHashMap<>();
        for (Element a = firstElement(method); a != null; a = nextElement(a)) {
            if (args.size() >= MAX_ARGUMENTS) {
                throw new Malformed("Too many arguments.");
            }
            args.putIfAbsent(a.getLocalName(), a.getTextContent().trim());
        }
        return new SoapRequest(method.getLocalName(), method.getNamespaceURI(), args);
    }

    private static Element firstElement(Node parent) {
        Node n = parent.getFirstChild();
        while (n != null && n.getNodeType() != Node.ELEMENT_NODE) {
            n = n.getNextSibling();
        }
        return (Element) n;
    }

    private static Element nextElement(Node node) {
        Node n = node.getNextSibling();
        while (n != null && n.getNodeType() != Node.ELEMENT_NODE) {
            n = n.getNextSibling();
        }
        return (Element) n;
    }
}
