package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The parsers RequestParser reuses: only small envelopes, within a budget, a few at most. */
class RequestParserTest {
    static byte[] get(String instanceId) {
        return ("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"
                + "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</w:ResourceURI>"
                + "<w:SelectorSet><w:Selector Name=\"InstanceID\">" + instanceId + "</w:Selector></w:SelectorSet>"
                + "</s:Header><s:Body/></s:Envelope>").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aReusedParserParsesEachEnvelopeAfresh() throws Exception {
        RequestParser parser = new RequestParser();
        for (int i = 0; i < 20; i++) {
            assertEquals("id-" + i, parser.parse(get("id-" + i)).selectors().get("InstanceID"));
        }
        assertEquals(1, parser.pooledParsers(), "one thread, one parser kept");
        assertThrows(WsmanFault.class, () -> parser.parse("<s:Envelope><broken".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, parser.pooledParsers(), "a parser that failed is not kept");
        assertEquals("AMT", parser.parse(get("AMT")).selectors().get("InstanceID"));
    }

    @Test
    void aLargeEnvelopeOrASpentBudgetRetiresTheParser() throws Exception {
        RequestParser parser = new RequestParser();
        parser.parse(get("small"));
        assertEquals(1, parser.pooledParsers());
        parser.parse(get("x".repeat(RequestParser.REUSED_ENVELOPE_BYTES)));
        assertEquals(0, parser.pooledParsers(), "after an envelope above the reuse limit the parser goes");
        byte[] one = get("y".repeat(RequestParser.REUSED_ENVELOPE_BYTES - 1_000));
        int reused = 0;
        for (long read = 0; read <= RequestParser.PARSER_BUDGET_BYTES; read += one.length) {
            parser.parse(one);
            reused += parser.pooledParsers();
        }
        assertEquals(0, parser.pooledParsers(), "a parser that has read its budget goes");
        assertEquals(RequestParser.PARSER_BUDGET_BYTES / one.length, reused, "kept until then");
    }
}
