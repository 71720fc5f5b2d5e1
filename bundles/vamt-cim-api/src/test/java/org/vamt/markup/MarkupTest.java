package org.vamt.markup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class MarkupTest {
    private static final String HOSTILE = "a&b<c>d\"e'f\rg\nh\ti\u0000j\u001bk\uFFFEl\uD83D\uDE00m]]>n";
    /** What an XML parser must give back: the same text without what XML 1.0 cannot carry. */
    private static final String CARRIED = "a&b<c>d\"e'f\rg\nh\tijkl\uD83D\uDE00m]]>n";

    private static Element parse(String xml) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    @Test
    void aParserReadsBackTheSameTextFromContentAndFromBothKindsOfAttribute() throws Exception {
        StringBuilder xml = new StringBuilder("<r d=\"");
        Markup.escape(HOSTILE, true, xml).append("\" s='");
        Markup.escape(HOSTILE, true, xml).append("'>");
        Markup.escape(HOSTILE, false, xml).append("</r>");
        Element root = parse(xml.toString());
        assertEquals(CARRIED, root.getAttribute("d"));
        assertEquals(CARRIED, root.getAttribute("s"));
        assertEquals(CARRIED, root.getTextContent());
    }

    @Test
    void theSafeEverywhereFormLeavesNoCharacterThatCouldEndAnAttributeOrOpenATag() throws Exception {
        String escaped = Markup.escape((Object) HOSTILE);
        for (char c : "<>\"'\r\n\t\u0000".toCharArray()) {
            assertFalse(escaped.indexOf(c) >= 0, "left " + (int) c + " in " + escaped);
        }
        assertEquals(CARRIED, parse("<r a='" + escaped + "'>" + escaped + "</r>").getAttribute("a"));
        assertEquals("", Markup.escape(null));
        assertEquals("42", Markup.escape(42));
    }

    @Test
    void textWithNothingToEscapeIsTheSameString() {
        String plain = "AMT_GeneralSettings 8e4c2b3a-0000-4000-8000-000000000001";
        assertSame(plain, Markup.escape(plain));
        assertEquals(plain, Markup.escape(plain, false, new StringBuilder()).toString());
        assertEquals("say \"hi\" 'there'", Markup.escape("say \"hi\" 'there'", false, new StringBuilder()).toString());
    }
}
