package org.vamt.mof;

import java.util.ArrayList;
import java.util.List;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimQualifier;
import org.vamt.cim.schema.CimQualifierType;

/**
 * Writes a {@link MofResult} as canonical MOF: qualifier declarations, then classes, in order; one
 * feature per line with its qualifiers above it; long strings split into adjacent literals. Compiling
 * the output yields an equal result.
 */
public final class MofPrinter {
    private static final String INDENT = "    ";
    private static final int LINE_WIDTH = 100;
    /** Strings longer than this are split at spaces into adjacent literals, for readable lines. */
    private static final int STRING_CHUNK = 70;

    private MofPrinter() {
    }

    public static String print(MofResult result) {
        StringBuilder out = new StringBuilder();
        for (CimQualifierType qualifierType : result.qualifierTypes()) {
            out.append(qualifierType(qualifierType)).append('\n');
        }
        for (CimClassDef classDef : result.classes()) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            classDef(out, classDef);
        }
        return out.toString();
    }

    private static String qualifierType(CimQualifierType q) {
        StringBuilder s = new StringBuilder("Qualifier ").append(q.name()).append(" : ").append(q.type().mofName());
        if (q.array()) {
            s.append("[]");
        }
        if (q.defaultValue() != null) {
            s.append(" = ").append(value(q.defaultValue(), INDENT));
        }
        s.append(",\n").append(INDENT).append("Scope(").append(String.join(", ", q.scopes())).append(')');
        if (!q.flavors().isEmpty()) {
            s.append(",\n").append(INDENT).append("Flavor(").append(String.join(", ", q.flavors())).append(')');
        }
        return s.append(';').toString();
    }

    private static void classDef(StringBuilder out, CimClassDef c) {
        if (!c.qualifiers().isEmpty()) {
            out.append(qualifierList(c.qualifiers(), "")).append('\n');
        }
        out.append("class ").append(c.name());
        if (c.superClass() != null) {
            out.append(" : ").append(c.superClass());
        }
        out.append(" {\n");
        List<String> features = new ArrayList<>();
        for (CimPropertyDef p : c.properties()) {
            features.add(feature(p.qualifiers(), property(p)));
        }
        for (CimMethodDef m : c.methods()) {
            features.add(feature(m.qualifiers(), method(m)));
        }
        out.append(String.join("\n", features)).append("};\n");
    }

    private static String feature(List<CimQualifier> qualifiers, String declaration) {
        String qualifierLine = qualifiers.isEmpty() ? "" : INDENT + qualifierList(qualifiers, INDENT) + "\n";
        return qualifierLine + INDENT + declaration + ";\n";
    }

    private static String property(CimPropertyDef p) {
        String declaration = type(p.type(), p.referenceClass()) + " " + p.name() + (p.array() ? "[]" : "");
        return p.defaultValue() == null ? declaration
                : declaration + " = " + value(p.defaultValue(), INDENT + INDENT);
    }

    private static String method(CimMethodDef m) {
        String parameterIndent = INDENT + INDENT;
        List<String> parameters = new ArrayList<>();
        for (CimParameterDef p : m.parameters()) {
            String qualifiers = p.qualifiers().isEmpty() ? "" : qualifierList(p.qualifiers(), parameterIndent) + " ";
            parameters.add(qualifiers + type(p.type(), p.referenceClass()) + " " + p.name() + (p.array() ? "[]" : ""));
        }
        String parameterList = parameters.isEmpty() ? ""
                : "\n" + parameterIndent + String.join(",\n" + parameterIndent, parameters);
        return m.returnType().mofName() + " " + m.name() + "(" + parameterList + ")";
    }

    private static String type(CimDataType type, String referenceClass) {
        return type == CimDataType.REFERENCE ? referenceClass + " REF" : type.mofName();
    }

    /** On one line when it fits, else one qualifier per line. */
    private static String qualifierList(List<CimQualifier> qualifiers, String indent) {
        List<String> items = new ArrayList<>();
        for (CimQualifier q : qualifiers) {
            items.add(qualifier(q, indent + INDENT));
        }
        String oneLine = "[" + String.join(", ", items) + "]";
        if (indent.length() + oneLine.length() <= LINE_WIDTH && !oneLine.contains("\n")) {
            return oneLine;
        }
        return "[" + String.join(",\n" + indent + " ", items) + "]";
    }

    private static String qualifier(CimQualifier q, String continuation) {
        if (q.value() == null) {
            return q.name();
        }
        if (q.value() instanceof List<?>) {
            return q.name() + " " + value(q.value(), continuation);
        }
        return q.name() + "(" + value(q.value(), continuation) + ")";
    }

    /** A value as a MOF literal; {@code continuation} indents the lines after the first. */
    private static String value(Object value, String continuation) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return string(s, continuation);
        }
        if (value instanceof List<?> list) {
            return array(list, continuation);
        }
        if (value instanceof Boolean || value instanceof Long || value instanceof Double) {
            return value.toString();
        }
        throw new IllegalArgumentException("not a MOF value: " + value.getClass().getName());
    }

    /** {@code {a, b}}, wrapped before an element that would make the line too long. */
    private static String array(List<?> elements, String continuation) {
        StringBuilder out = new StringBuilder("{");
        int lineLength = continuation.length();
        for (int i = 0; i < elements.size(); i++) {
            String element = value(elements.get(i), continuation);
            if (i > 0) {
                out.append(',');
                if (lineLength + element.length() > LINE_WIDTH - 10 || element.contains("\n")) {
                    out.append('\n').append(continuation);
                    lineLength = continuation.length();
                } else {
                    out.append(' ');
                }
            }
            out.append(element);
            lineLength += element.length() + 2;
        }
        return out.append('}').toString();
    }

    private static String string(String s, String continuation) {
        List<String> literals = new ArrayList<>();
        int start = 0;
        do {
            int end = Math.min(s.length(), start + STRING_CHUNK);
            if (end < s.length()) {
                int space = s.lastIndexOf(' ', end - 1);
                if (space >= start) {
                    end = space + 1;
                } else {
                    int nextSpace = s.indexOf(' ', end);
                    end = nextSpace < 0 ? s.length() : nextSpace + 1;
                }
            }
            literals.add('"' + escape(s.substring(start, end)) + '"');
            start = end;
        } while (start < s.length());
        return String.join("\n" + continuation, literals);
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        out.append(String.format("\\x%04X", (int) c)); // four digits: the next char cannot join it
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
