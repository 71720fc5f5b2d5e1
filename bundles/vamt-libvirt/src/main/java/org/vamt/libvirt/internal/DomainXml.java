package org.vamt.libvirt.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.security.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Small DOM helpers for editing libvirt XML (domain definitions, device and metadata elements):
 * parsing with vamt-security's hardened JDK parser ({@link SafeXml}: no DOCTYPE, no
 * external entities) and writing back without an XML declaration. The XML is never logged (it may
 * hold secrets such as VNC passwords); errors report only position and parser message.
 */
final class DomainXml {

    private DomainXml() {
    }

    /** Parses {@code xml}; FAILED when it is not well-formed (or has a DOCTYPE). */
    static Document parse(String xml, String what) throws HypervisorException {
        if (xml == null || xml.isBlank()) {
            throw new HypervisorException(Reason.FAILED, "empty " + what);
        }
        try {
            return SafeXml.parse(xml);
        } catch (SAXParseException e) {
            throw new HypervisorException(Reason.FAILED, "cannot parse the " + what + " (line " + e.getLineNumber()
                    + ", column " + e.getColumnNumber() + "): " + e.getMessage());
        } catch (SAXException | IOException e) {
            throw new HypervisorException(Reason.FAILED, "cannot parse the " + what + ": " + e.getMessage());
        }
    }

    /** Parses a libvirt domain definition: the {@code <domain>} element. */
    static Element parseDomain(String xml) throws HypervisorException {
        Element domain = parse(xml, "domain definition").getDocumentElement();
        if (!"domain".equals(name(domain))) {
            throw new HypervisorException(Reason.FAILED, "not a libvirt domain definition: root element <"
                    + domain.getTagName() + ">");
        }
        return domain;
    }

    /** The element (and its subtree) as text, without an XML declaration. */
    static String write(Node node) throws HypervisorException {
        try {
            TransformerFactory f = TransformerFactory.newDefaultInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            Transformer t = f.newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.INDENT, "no");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(node), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new HypervisorException(Reason.FAILED, "cannot write XML: " + e.getMessage(), e);
        }
    }

    /** Local name of an element in no namespace; null for namespaced elements (metadata, test:runstate). */
    static String name(Element e) {
        if (e.getNamespaceURI() != null && !e.getNamespaceURI().isEmpty()) {
            return null;
        }
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }

    /** Child elements in no namespace with this local name, in document order. */
    static List<Element> children(Element parent, String name) {
        List<Element> list = new ArrayList<>();
        if (parent == null) {
            return list;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && name.equals(name((Element) n))) {
                list.add((Element) n);
            }
        }
        return list;
    }

    /** All child elements, in document order. */
    static List<Element> children(Element parent) {
        List<Element> list = new ArrayList<>();
        if (parent == null) {
            return list;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                list.add((Element) n);
            }
        }
        return list;
    }

    /** The first child element in no namespace with this local name, or null. */
    static Element child(Element parent, String name) {
        List<Element> list = children(parent, name);
        return list.isEmpty() ? null : list.get(0);
    }

    /** Removes {@code node} and the whitespace-only text right before it (its indentation). */
    static void remove(Node node) {
        Node parent = node.getParentNode();
        if (parent == null) {
            return;
        }
        Node before = node.getPreviousSibling();
        if (before != null && before.getNodeType() == Node.TEXT_NODE && before.getNodeValue().isBlank()) {
            parent.removeChild(before);
        }
        parent.removeChild(node);
    }
}
