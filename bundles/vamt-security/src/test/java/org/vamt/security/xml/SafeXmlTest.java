package org.vamt.security.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.xml.sax.SAXException;

class SafeXmlTest {
    @TempDir
    Path dir;

    @Test
    void parsesNamespacesAndRefusesEveryDoctype() throws Exception {
        Document d = SafeXml.parse("<s:Envelope xmlns:s=\"urn:s\"><s:Body>x</s:Body></s:Envelope>");
        assertEquals("urn:s", d.getDocumentElement().getNamespaceURI());
        assertEquals("Envelope", d.getDocumentElement().getLocalName());

        Path secret = Files.writeString(dir.resolve("secret.txt"), "root:x:0:0");
        String external = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]><a>&x;</a>";
        SAXException e = assertThrows(SAXException.class, () -> SafeXml.parse(external.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        String bomb = "<!DOCTYPE a [<!ENTITY l \"lol\"><!ENTITY l2 \"&l;&l;&l;&l;&l;&l;&l;&l;\">]><a>&l2;</a>";
        assertThrows(SAXException.class, () -> SafeXml.parse(bomb));
    }

    @Test
    void neverFetchesAnExternalDtdOrXInclude() throws Exception {
        AtomicInteger fetched = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/", x -> {
            fetched.incrementAndGet();
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThrows(SAXException.class,
                    () -> SafeXml.parse("<!DOCTYPE a SYSTEM \"" + base + "/a.dtd\"><a/>"));
            Document d = SafeXml.parse("<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\""
                    + base + "/b.xml\"/></a>");
            assertEquals("include", d.getDocumentElement().getFirstChild().getLocalName(), "left as it is");
            assertEquals(0, fetched.get(), "nothing fetched");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void malformedInputThrowsWithoutPrintingToStderr() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThrows(SAXException.class, () -> SafeXml.parse("<<<not xml"));
        } finally {
            System.setErr(err);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8));
        assertFalse(SafeXml.factory().isXIncludeAware());
        assertTrue(SafeXml.factory().isNamespaceAware());
    }
}
