package org.vamt.webui.internal;

import java.util.List;
import org.vamt.markup.Markup;

/** A page's HTML, built as text with everything that comes from outside escaped. */
final class Html {
    private final StringBuilder out = new StringBuilder(4096);

    /** Markup written as is: only literals of this bundle, never data. */
    Html raw(String markup) {
        out.append(markup);
        return this;
    }

    /** Text, escaped. */
    Html text(Object value) {
        out.append(Markup.escape(value));
        return this;
    }

    /** {@code <tag>text</tag>}, the text escaped. */
    Html element(String tag, Object text) {
        out.append('<').append(tag).append('>').append(Markup.escape(text)).append("</").append(tag).append('>');
        return this;
    }

    /** A term and its value in a description list ({@code <dl>}); nothing for a null value. */
    Html entry(String term, Object value) {
        if (value != null && !String.valueOf(value).isEmpty()) {
            element("dt", term).element("dd", value);
        }
        return this;
    }

    /** A table: header cells, then rows of escaped cells; scrolls sideways on a narrow screen. */
    Html table(String caption, List<String> headers, List<List<Object>> rows) {
        out.append("<div class=\"scroll\"><table>");
        if (caption != null) {
            element("caption", caption);
        }
        out.append("<thead><tr>");
        for (String h : headers) {
            out.append("<th scope=\"col\">").append(Markup.escape(h)).append("</th>");
        }
        out.append("</tr></thead><tbody>");
        for (List<Object> row : rows) {
            out.append("<tr>");
            for (Object cell : row) {
                element("td", cell);
            }
            out.append("</tr>");
        }
        out.append("</tbody></table></div>");
        return this;
    }

    int length() {
        return out.length();
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
