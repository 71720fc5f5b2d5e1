package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/** RequestParser's streaming parse: what it builds, and what it refuses with which fault. */
class RequestParserTest {
    private static final String OPEN = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
            + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
            + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
            + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"
            + "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</w:ResourceURI>";

    static byte[] get(String instanceId) {
        return bytes(OPEN + "<w:SelectorSet><w:Selector Name=\"InstanceID\">" + instanceId + "</w:Selector></w:SelectorSet>"
                + "</s:Header><s:Body/></s:Envelope>");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachEnvelopeIsParsedAfreshAfterAMalformedOne() throws Exception {
        RequestParser parser = new RequestParser();
        for (int i = 0; i < 20; i++) {
            assertEquals("id-" + i, parser.parse(get("id-" + i)).selectors().get("InstanceID"));
        }
        WsmanFault broken = assertThrows(WsmanFault.class, () -> parser.parse(bytes("<s:Envelope><broken")));
        assertEquals("The request is not well-formed XML.", broken.getMessage());
        assertEquals("AMT", parser.parse(get("AMT")).selectors().get("InstanceID"));
    }

    @Test
    void aThreadsFactoryIsReplacedOnceItHasReadItsBudget() throws Exception {
        RequestParser parser = new RequestParser();
        byte[] one = get("x".repeat(1_000));
        javax.xml.stream.XMLInputFactory earlier = RequestParser.factory(0);
        while (RequestParser.factory(0) == earlier) {   // this thread may have parsed before: a fresh one
            parser.parse(one);
        }
        javax.xml.stream.XMLInputFactory first = RequestParser.factory(0);
        int parsed = 0;
        while (RequestParser.factory(0) == first) {
            parser.parse(one);
            parsed++;
        }
        assertEquals(RequestParser.FACTORY_BUDGET_BYTES / one.length + 1, parsed, "kept until its budget is spent");
    }

    @Test
    void textReadsAsTheDomParserReadIt() throws Exception {
        RequestParser parser = new RequestParser();
        assertEquals("a&b<c>d", parser.parse(get(" a&amp;b<![CDATA[<c>]]>d ")).selectors().get("InstanceID"));
        assertEquals("\u00e9t\u00e9", parser.parse(get("&#233;t&#xE9;")).selectors().get("InstanceID"));
    }

    @Test
    void theBodyKeepsItsNamespaceDeclarations() throws Exception {
        byte[] put = bytes(OPEN + "</s:Header><s:Body><h:X xmlns:h=\"urn:h\" xmlns:q=\"urn:q\" h:a=\"1\" b=\"2\">"
                + "<h:Y>q:Z</h:Y></h:X></s:Body></s:Envelope>");
        Element body = new RequestParser().parse(put).body();
        assertEquals("urn:h", body.getNamespaceURI());
        assertEquals("X", body.getLocalName());
        assertEquals("1", body.getAttributeNS("urn:h", "a"));
        assertEquals("2", body.getAttribute("b"));
        assertEquals("urn:q", body.lookupNamespaceURI("q"), "a QName value's prefix can be resolved");
        assertEquals("q:Z", RequestParser.text(RequestParser.child(body, "urn:h", "Y")));
    }

    @Test
    void aDoctypeIsRefusedAsMalformedAndNothingInItIsExpanded() {
        RequestParser parser = new RequestParser();
        for (String prolog : new String[] {
            "<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
            "<!DOCTYPE s:Envelope [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
            "<!DOCTYPE s:Envelope SYSTEM \"http://127.0.0.1:9/x.dtd\">"}) {
            WsmanFault f = assertThrows(WsmanFault.class, () -> parser.parse(bytes(prolog
                    + new String(get("&b;"), StandardCharsets.UTF_8))), prolog);
            assertEquals("The request is not well-formed XML.", f.getMessage(), prolog);
        }
        WsmanFault undeclared = assertThrows(WsmanFault.class, () -> parser.parse(get("&x;")));
        assertEquals("The request is not well-formed XML.", undeclared.getMessage());
    }

    @Test
    void elementsNestedTooDeepGetTheLimitFaultUnlessTheXmlIsMalformed() {
        RequestParser parser = new RequestParser();
        String deep = "<a>".repeat(5_000) + "</a>".repeat(5_000);
        WsmanFault limit = assertThrows(WsmanFault.class, () -> parser.parse(bytes(OPEN + "</s:Header><s:Body>"
                + deep + "</s:Body></s:Envelope>")));
        assertEquals("Elements are nested deeper than " + EnvelopeLimits.MAX_DEPTH + " levels.", limit.getMessage());
        WsmanFault malformed = assertThrows(WsmanFault.class, () -> parser.parse(bytes(OPEN + "</s:Header><s:Body>"
                + deep + "</s:Body></s:Envelop>")));
        assertEquals("The request is not well-formed XML.", malformed.getMessage());
    }
}
