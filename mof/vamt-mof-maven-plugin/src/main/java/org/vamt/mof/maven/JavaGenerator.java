package org.vamt.mof.maven;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimSchema;
import org.vamt.cim.schema.Qualified;

/**
 * Java sources for one CIM class, as CIMPLE generated C++ for the paper: a typed instance class
 * (setters and getters for every effective property, in schema order) and an abstract provider
 * skeleton whose {@code enumerate} and method stubs the developer fills in.
 */
final class JavaGenerator {
    private static final Set<String> JAVA_KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte",
            "case", "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum",
            "extends", "final", "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int",
            "interface", "long", "native", "new", "package", "private", "protected", "public", "return", "short",
            "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "var", "record", "yield", "true", "false", "null");

    private final CimSchema schema;
    private final String packageName;

    JavaGenerator(CimSchema schema, String packageName) {
        this.schema = schema;
        this.packageName = packageName;
    }

    /** File name (relative to the package directory) → source. */
    Map<String, String> generate(CimClassDef c, boolean skeleton) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(c.name() + ".java", typedClass(c));
        if (skeleton && !c.isAbstract()) {
            files.put(c.name() + "ProviderSkeleton.java", providerSkeleton(c));
        }
        return files;
    }

    private String typedClass(CimClassDef c) {
        List<CimPropertyDef> props = schema.properties(c.name());
        StringBuilder s = header();
        s.append("import java.util.List;\n\n");
        s.append("/**\n * Typed view of the CIM class {@code ").append(c.name()).append("}");
        if (c.superClass() != null) {
            s.append(" (lineage: ").append(String.join(" \u2192 ", schema.lineage(c.name()))).append(")");
        }
        s.append(".\n * Generated from MOF at build time; do not edit.\n */\n");
        s.append("public final class ").append(c.name()).append(" extends org.vamt.cim.TypedInstance {\n");
        s.append("    public static final String CLASS_NAME = \"").append(c.name()).append("\";\n");
        s.append("    private static final List<String> PROPERTIES = List.of(").append(quotedList(
                props.stream().map(CimPropertyDef::name).toList())).append(");\n");
        s.append("    private static final List<String> KEYS = List.of(").append(quotedList(
                props.stream().filter(CimPropertyDef::isKey).map(CimPropertyDef::name).toList())).append(");\n\n");
        s.append("    @Override\n    public String className() {\n        return CLASS_NAME;\n    }\n\n");
        s.append("    @Override\n    protected List<String> propertyOrder() {\n        return PROPERTIES;\n    }\n\n");
        s.append("    @Override\n    protected List<String> keyNames() {\n        return KEYS;\n    }\n\n");
        s.append("    /** A typed view of an existing instance (e.g. the body of a Put). */\n");
        s.append("    public static ").append(c.name()).append(" from(org.vamt.cim.CimInstance instance) {\n");
        s.append("        ").append(c.name()).append(" typed = new ").append(c.name()).append("();\n");
        s.append("        typed.load(instance);\n        return typed;\n    }\n");
        for (CimPropertyDef p : props) {
            accessors(s, c.name(), p);
        }
        s.append("}\n");
        return s.toString();
    }

    private void accessors(StringBuilder s, String cls, CimPropertyDef p) {
        String name = p.name();
        String boxed = javaType(p.type(), p.array(), p);
        s.append("\n    /** {@code ").append(p.type() == CimDataType.REFERENCE ? p.referenceClass() + " REF" : p.type().mofName())
                .append(p.array() ? "[]" : "").append(" ").append(name).append("}")
                .append(p.isKey() ? " (key)" : "").append(p.isWritable() ? " (writable)" : "").append(" */\n");
        s.append("    public ").append(cls).append(" set").append(name).append("(").append(boxed)
                .append(" value) {\n        put(\"").append(name).append("\", value);\n        return this;\n    }\n");
        if (!p.array() && p.type().isInteger()) {
            s.append("\n    public ").append(cls).append(" set").append(name)
                    .append("(long value) {\n        put(\"").append(name).append("\", value);\n        return this;\n    }\n");
        } else if (p.array() && p.type().isInteger() && !p.is("OctetString")) {
            s.append("\n    public ").append(cls).append(" set").append(name)
                    .append("(long... values) {\n        put(\"").append(name)
                    .append("\", longs(values));\n        return this;\n    }\n");
        } else if (p.array() && (p.type() == CimDataType.STRING || p.type() == CimDataType.CHAR16)
                && p.text("EmbeddedInstance").isEmpty()) {
            s.append("\n    public ").append(cls).append(" set").append(name)
                    .append("(String... values) {\n        put(\"").append(name)
                    .append("\", list(values));\n        return this;\n    }\n");
        }
        if (p.array()) {
            s.append("\n    @SuppressWarnings(\"unchecked\")");
        }
        s.append("\n    public ").append(boxed).append(" get").append(name).append("() {\n        return (")
                .append(boxed).append(") value(\"").append(name).append("\");\n    }\n");
    }

    private String providerSkeleton(CimClassDef c) {
        String cls = c.name();
        StringBuilder s = header();
        s.append("import java.util.ArrayList;\nimport java.util.List;\nimport java.util.Map;\n");
        s.append("import org.vamt.cim.CimException;\nimport org.vamt.cim.CimInstance;\n");
        s.append("import org.vamt.cim.CimObjectPath;\nimport org.vamt.cim.CimStatus;\n");
        s.append("import org.vamt.cim.MethodResult;\nimport org.vamt.cim.spi.CimProvider;\n");
        s.append("import org.vamt.cim.spi.RequestContext;\n\n");
        s.append("/**\n * Provider skeleton for {@code ").append(cls).append("}, generated from MOF: implement\n")
                .append(" * {@link #enumerate} (Get comes for free from the CIMOM) and override the methods you support.\n")
                .append(" * Register the subclass as an OSGi service with {@code ").append("vamt.cim.classes=")
                .append(cls).append("}.\n */\n");
        s.append("public abstract class ").append(cls).append("ProviderSkeleton implements CimProvider {\n");
        s.append("    /** Every instance of ").append(cls).append(" for the VM of {@code ctx}. */\n");
        s.append("    protected abstract List<").append(cls).append("> enumerate(RequestContext ctx) throws CimException;\n\n");
        s.append("    @Override\n    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) "
                + "throws CimException {\n        List<CimInstance> out = new ArrayList<>();\n        for (")
                .append(cls).append(" i : enumerate(ctx)) {\n            out.add(i.toInstance());\n        }\n"
                + "        return out;\n    }\n");
        List<CimMethodDef> methods = allMethods(c);
        for (CimMethodDef m : methods) {
            s.append("\n    /** {@code ").append(m.returnType().mofName()).append(" ").append(m.name())
                    .append("}: not supported unless overridden. */\n");
            s.append("    protected MethodResult ").append(m.name()).append("(RequestContext ctx, CimObjectPath target");
            for (CimParameterDef p : inParameters(m)) {
                s.append(", ").append(javaType(p.type(), p.array(), p))
                        .append(" ").append(identifier(p.name()));
            }
            s.append(") throws CimException {\n        throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, \"")
                    .append(m.name()).append(" on ").append(cls).append("\");\n    }\n");
        }
        s.append("\n    @Override\n");
        if (methods.stream().anyMatch(m -> inParameters(m).stream().anyMatch(CimParameterDef::array))) {
            s.append("    @SuppressWarnings(\"unchecked\")\n");
        }
        s.append("    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,\n"
                + "                                     Map<String, Object> arguments) throws CimException {\n");
        s.append("        switch (method.toLowerCase(java.util.Locale.ROOT)) {\n");
        for (CimMethodDef m : methods) {
            s.append("            case \"").append(m.name().toLowerCase(Locale.ROOT)).append("\":\n");
            s.append("                return ").append(m.name()).append("(ctx, target");
            for (CimParameterDef p : inParameters(m)) {
                s.append(", (").append(javaType(p.type(), p.array(), p))
                        .append(") arguments.get(\"").append(p.name()).append("\")");
            }
            s.append(");\n");
        }
        s.append("            default:\n                throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + \" on \" + target.className());\n");
        s.append("        }\n    }\n}\n");
        return s.toString();
    }

    /** Methods declared by the class or inherited, a subclass's declaration winning. */
    private List<CimMethodDef> allMethods(CimClassDef c) {
        List<CimMethodDef> out = new ArrayList<>();
        for (String name : schema.lineage(c.name())) {
            for (CimMethodDef m : schema.classDef(name).orElseThrow().methods()) {
                if (out.stream().noneMatch(o -> o.name().equalsIgnoreCase(m.name()))) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static List<CimParameterDef> inParameters(CimMethodDef m) {
        return m.parameters().stream().filter(CimParameterDef::isIn).toList();
    }

    static String javaType(CimDataType type, boolean array, Qualified element) {
        if (type == CimDataType.UINT8 && array && element.is("OctetString")) {
            return "String"; // base64, as WS-CIM puts octet strings on the wire
        }
        boolean embedded = element.text("EmbeddedInstance").isPresent();
        String scalar = switch (type) {
            case BOOLEAN -> "Boolean";
            case STRING, CHAR16 -> embedded ? "org.vamt.cim.CimInstance" : "String";
            case REAL32, REAL64 -> "Double";
            case DATETIME -> "org.vamt.cim.CimDateTime";
            case REFERENCE -> "org.vamt.cim.CimObjectPath";
            default -> "Long";
        };
        return array ? "List<" + scalar + ">" : scalar;
    }

    private static String identifier(String name) {
        return JAVA_KEYWORDS.contains(name) ? name + "_" : name;
    }

    private StringBuilder header() {
        return new StringBuilder("// Generated by vamt-mof-maven-plugin from MOF. Do not edit.\npackage ")
                .append(packageName).append(";\n\n");
    }

    private static String quotedList(List<String> names) {
        StringBuilder s = new StringBuilder();
        for (String n : names) {
            if (s.length() > 0) {
                s.append(", ");
            }
            s.append('"').append(n).append('"');
        }
        return s.toString();
    }
}
