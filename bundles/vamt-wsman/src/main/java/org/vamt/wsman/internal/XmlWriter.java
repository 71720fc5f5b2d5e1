package org.vamt.wsman.internal;

/**
 * Writes XML the way MeshCentral's hand-written parser needs it: never a self-closing element,
 * no comments, attribute values without spaces where we control them, text always escaped.
 */
final class XmlWriter {
    private final StringBuilder out = new StringBuilder(2048);

    XmlWriter declaration() {
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        return this;
    }

    /** Opens {@code <qname} and leaves it open for attributes; call {@link #close()} next. */
    XmlWriter open(String qname) {
        out.append('<').append(qname);
        return this;
    }

    XmlWriter attr(String qname, String value) {
        out.append(' ').append(qname).append("=\"");
        escape(value, true);
        out.append('"');
        return this;
    }

    XmlWriter close() {
        out.append('>');
        return this;
    }

    XmlWriter start(String qname) {
        out.append('<').append(qname).append('>');
        return this;
    }

    XmlWriter end(String qname) {
        out.append("</").append(qname).append('>');
        return this;
    }

    XmlWriter text(String text) {
        escape(text, false);
        return this;
    }

    /** {@code <qname>text</qname>} */
    XmlWriter element(String qname, String text) {
        return start(qname).text(text).end(qname);
    }

    private void escape(String s, boolean attribute) {
        int first = firstToEscape(s, attribute);
        if (first == s.length()) {
            out.append(s);   // the common case (names, numbers, GUIDs): one bulk copy, not a char at a time
            return;
        }
        out.append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append(attribute ? "&quot;" : "\"");
                case '\r' -> out.append("&#13;");
                default -> {
                    // XML 1.0 cannot carry most control characters at all; drop them rather than emit invalid XML.
                    if (c >= 0x20 || c == '\t' || c == '\n') {
                        out.append(c);
                    }
                }
            }
        }
    }

    /** Index of the first character {@link #escape} must replace or drop, or the length when there is none. */
    private static int firstToEscape(String s, boolean attribute) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '&' || c == '<' || c == '>' || c == '\r' || (c == '"' && attribute)
                    || (c < 0x20 && c != '\t' && c != '\n')) {
                return i;
            }
        }
        return s.length();
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
