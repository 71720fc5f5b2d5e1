package org.vamt.wsman.internal;

import org.vamt.markup.Markup;

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
        Markup.escape(s, attribute, out);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
