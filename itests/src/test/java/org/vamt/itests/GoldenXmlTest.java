package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The golden comparison itself: what it forgives (prefixes, whitespace, placeholders) and what not. */
public class GoldenXmlTest {
    static final String ACTUAL = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope "
            + "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:b=\"urn:wsa\" xmlns:g=\"urn:enum\">"
            + "<a:Header><b:RelatesTo>7</b:RelatesTo><b:MessageID>uuid:0f8fad5b-d9cb-469f-a165-70867728950e"
            + "</b:MessageID></a:Header><a:Body><g:EnumerateResponse><g:EnumerationContext>AB-12</g:EnumerationContext>"
            + "</g:EnumerateResponse><a:Fault><a:Value>b:Sender</a:Value></a:Fault>"
            + "<g:S Name=\"Port\">16992</g:S></a:Body></a:Envelope>";

    static final String GOLDEN = """
            <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="urn:wsa" xmlns:e="urn:enum">
              <s:Header>
                <wsa:RelatesTo>7</wsa:RelatesTo>
                <wsa:MessageID>{{uuid}}</wsa:MessageID>
              </s:Header>
              <s:Body>
                <e:EnumerateResponse><e:EnumerationContext>{{capture:ctx}}</e:EnumerationContext></e:EnumerateResponse>
                <s:Fault><s:Value>wsa:Sender</s:Value></s:Fault>
                <e:S Name="Port">{{int}}</e:S>
              </s:Body>
            </s:Envelope>
            """;

    @Test
    public void prefixesWhitespaceAndPlaceholdersAreForgiven() {
        Map<String, String> captures = new HashMap<>();
        assertEquals(List.of(), GoldenXml.differences(GOLDEN, ACTUAL, captures));
        assertEquals("AB-12", captures.get("ctx"));
        assertEquals("<Pull>AB-12</Pull>", GoldenXml.substitute("<Pull>{{ctx}}</Pull>", captures));
    }

    @Test
    public void regularExpressionsMayUseBraces() {
        String golden = "<x>{{re:[a-z]{3}=}}</x>";
        assertEquals(List.of(), GoldenXml.differences(golden, "<x>abc=</x>", new HashMap<>()));
        assertFalse(GoldenXml.differences(golden, "<x>abcd=</x>", new HashMap<>()).isEmpty());
    }

    @Test
    public void selectorsCompareAsASet() {
        String w = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
        String actual = "<w:SelectorSet xmlns:w=\"" + w + "\"><w:Selector Name=\"B\">2</w:Selector>"
                + "<w:Selector Name=\"A\">1</w:Selector></w:SelectorSet>";
        String golden = "<c:SelectorSet xmlns:c=\"" + w + "\"><c:Selector Name=\"A\">1</c:Selector>"
                + "<c:Selector Name=\"B\">2</c:Selector></c:SelectorSet>";
        assertEquals(List.of(), GoldenXml.differences(golden, actual, new HashMap<>()));
        assertFalse(GoldenXml.differences(golden.replace(">2<", ">3<"), actual, new HashMap<>()).isEmpty());
    }

    @Test
    public void valuesNamesOrderAndQNamesAreNot() {
        Map<String, String> captures = new HashMap<>();
        assertFalse(GoldenXml.differences(GOLDEN.replace(">7<", ">8<"), ACTUAL, captures).isEmpty());
        assertFalse(GoldenXml.differences(GOLDEN.replace("wsa:Sender", "s:Sender"), ACTUAL, captures).isEmpty());
        assertFalse(GoldenXml.differences(GOLDEN.replace("{{int}}", "{{uuid}}"), ACTUAL, captures).isEmpty());
        assertFalse(GoldenXml.differences(GOLDEN.replace("Name=\"Port\"", "Name=\"port\""), ACTUAL, captures)
                .isEmpty());
        String swapped = GOLDEN.replace("<wsa:RelatesTo>7</wsa:RelatesTo>", "")
                .replace("</s:Header>", "<wsa:RelatesTo>7</wsa:RelatesTo></s:Header>");
        assertFalse(GoldenXml.differences(swapped, ACTUAL, captures).isEmpty());
        assertFalse(GoldenXml.differences(GOLDEN.replace("urn:enum", "urn:other"), ACTUAL, captures).isEmpty());
        assertTrue(GoldenXml.isFault(ACTUAL));
    }
}
