package org.vamt.markup;

/**
 * Text into markup. Element content keeps quotes as they are; attribute values (double- or
 * single-quoted) get them as references, and their tabs and line feeds too, so that an XML parser's
 * attribute normalisation gives back the same string. A carriage return is always a reference (a
 * parser would otherwise turn it into a line feed). Characters XML 1.0 cannot carry at all (most
 * C0 controls, U+FFFE, U+FFFF) are dropped rather than making the whole document unreadable.
 */
public final class Markup {
    private Markup() {
    }

    /** Appends {@code s} escaped for element content ({@code attribute} false) or an attribute value. */
    public static StringBuilder escape(CharSequence s, boolean attribute, StringBuilder out) {
        int first = firstToEscape(s, attribute);
        if (first == s.length()) {
            return out.append(s);   // the common case (names, numbers, GUIDs): one bulk copy
        }
        out.append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append(attribute ? "&quot;" : "\"");
                case '\'' -> out.append(attribute ? "&#39;" : "'");
                case '\r' -> out.append("&#13;");
                case '\n' -> out.append(attribute ? "&#10;" : "\n");
                case '\t' -> out.append(attribute ? "&#9;" : "\t");
                default -> {
                    if (carriable(c)) {
                        out.append(c);
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code value} (null as empty) escaped so that it is safe anywhere text goes: element content
     * and quoted attribute values alike, in XML and in HTML.
     */
    public static String escape(Object value) {
        String s = value == null ? "" : String.valueOf(value);
        int first = firstToEscape(s, true);
        if (first == s.length()) {
            return s;
        }
        return escape(s, true, new StringBuilder(s.length() + 16)).toString();
    }

    /** Index of the first character {@link #escape} must replace or drop, or the length when there is none. */
    private static int firstToEscape(CharSequence s, boolean attribute) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '&' || c == '<' || c == '>' || c == '\r' || !carriable(c)
                    || (attribute && (c == '"' || c == '\'' || c == '\n' || c == '\t'))) {
                return i;
            }
        }
        return s.length();
    }

    /** Whether XML 1.0 can carry {@code c} (surrogates pass: a pair is a supplementary character). */
    private static boolean carriable(char c) {
        return c >= 0x20 ? c != 0xFFFE && c != 0xFFFF : c == '\t' || c == '\n' || c == '\r';
    }
}
