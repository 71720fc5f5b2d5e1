package org.vamt.security.xml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * XML parsing hardened against hostile XML. DOM: the JDK's own parser (not whatever an OSGi
 * framework or the class path offers), namespace-aware, no DOCTYPE at all (so no entity expansion, no external
 * entities or DTDs), no external schemas, no XInclude, secure processing limits. StAX: the same
 * rules on a factory the caller chose ({@link #harden(XMLInputFactory)}).
 *
 * <p>A factory is not thread-safe: keep one per thread ({@link #factory()}), or call
 * {@link #parse(byte[])}, which does. Builders are made per document: a reused Xerces parser keeps
 * the largest attribute list and every name it has seen.
 */
public final class SafeXml {
    private static final ThreadLocal<DocumentBuilderFactory> FACTORIES = ThreadLocal.withInitial(SafeXml::factory);

    private SafeXml() {
    }

    /** A new hardened, namespace-aware factory; fails at once if the parser cannot be hardened. */
    public static DocumentBuilderFactory factory() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        try {
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setNamespaceAware(true);
            f.setValidating(false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.newDocumentBuilder();   // fail now, not on the first document, if a feature is not supported
            return f;
        } catch (ParserConfigurationException | IllegalArgumentException e) {
            throw new IllegalStateException("the XML parser cannot be hardened", e);
        }
    }

    /**
     * Hardens a StAX factory the same way, and returns it: namespace-aware, no DTD at all (a
     * DOCTYPE is reported as a DTD event, which the caller must refuse, and nothing in it is
     * processed: no entity declared there can be expanded, no external DTD read), no external
     * entities, every resolution refused. Fails at once if the factory does not take a setting.
     */
    public static XMLInputFactory harden(XMLInputFactory f) {
        try {
            f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
            f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
            f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
            f.setProperty(XMLInputFactory.IS_VALIDATING, false);
            f.setXMLResolver((publicId, systemId, baseUri, namespace) -> {
                throw new XMLStreamException("external entities are not allowed");
            });
            return f;
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the XML stream parser cannot be hardened", e);
        }
    }

    /**
     * A new builder of a hardened factory that throws on every error (never printing to stderr, as
     * the default handler does) and refuses to resolve any entity.
     */
    public static DocumentBuilder builder(DocumentBuilderFactory hardened) {
        DocumentBuilder b;
        try {
            b = hardened.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the XML parser cannot be hardened", e);
        }
        b.setErrorHandler(new DefaultHandler() {
            @Override
            public void error(SAXParseException e) throws SAXException {
                throw e;
            }

            @Override
            public void fatalError(SAXParseException e) throws SAXException {
                throw e;
            }
        });
        b.setEntityResolver((publicId, systemId) -> {
            throw new SAXException("external entities are not allowed");
        });
        return b;
    }

    /** Parses with this thread's hardened factory and a new builder. */
    public static Document parse(byte[] xml) throws SAXException, IOException {
        return builder(FACTORIES.get()).parse(new ByteArrayInputStream(xml));
    }

    /** Parses with this thread's hardened factory and a new builder. */
    public static Document parse(String xml) throws SAXException, IOException {
        return builder(FACTORIES.get()).parse(new InputSource(new StringReader(xml)));
    }
}
