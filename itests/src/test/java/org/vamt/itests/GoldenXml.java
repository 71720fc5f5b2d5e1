package org.vamt.itests;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.vamt.security.xml.SafeXml;

/**
 * Compares a WS-Management answer with a golden (expected) document after canonicalising both:
 * namespace prefixes and declarations do not matter (names compare by namespace URI), QName
 * text such as {@code a:Sender} compares by the namespace its prefix stands for, whitespace
 * around text and between elements is ignored. Element order (except inside a SelectorSet,
 * which DSP0226 defines as a set) and every attribute count.
 * Placeholders in expected text and attribute values stand for volatile values; see
 * {@code golden/README.md}.
 */
final class GoldenXml {
    private static final String WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(.*?)}}");
    private static final Pattern QNAME = Pattern.compile("([A-Za-z_][\\w.-]*):([A-Za-z_][\\w.-]*)");

    private GoldenXml() {
    }

    /**
     * The differences between the expected and the actual document (empty when they match).
     * Values matched by {@code {{capture:NAME}}} are put into {@code captures}.
     */
    static List<String> differences(String expected, String actual, Map<String, String> captures) {
        List<String> diffs = new ArrayList<>();
        Document e;
        Document a;
        try {
            e = parse(expected);
        } catch (Exception ex) {
            diffs.add("the golden response is not well-formed XML: " + ex.getMessage());
            return diffs;
        }
        try {
            a = parse(actual);
        } catch (Exception ex) {
            diffs.add("the answer is not well-formed XML: " + ex.getMessage());
            return diffs;
        }
        compare(e.getDocumentElement(), a.getDocumentElement(), "", captures, diffs);
        return diffs;
    }

    /** A request with every {@code {{NAME}}} replaced by the value captured earlier in the sequence. */
    static String substitute(String request, Map<String, String> captures) {
        Matcher m = PLACEHOLDER.matcher(request);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = captures.get(m.group(1).trim());
            if (value == null) {
                throw new IllegalArgumentException("nothing was captured as '" + m.group(1) + "' before this request");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Whether the document's SOAP Body holds a Fault (the answer must then be HTTP 400). */
    static boolean isFault(String xml) {
        try {
            Element env = parse(xml).getDocumentElement();
            for (Element part : children(env)) {
                if ("Body".equals(part.getLocalName())) {
                    return children(part).stream().anyMatch(c -> "Fault".equals(c.getLocalName()));
                }
            }
            return false;
        } catch (Exception ex) {
            return false;
        }
    }

    static Document parse(String xml) throws Exception {
        return SafeXml.parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static void compare(Element e, Element a, String parentPath, Map<String, String> captures,
                                List<String> diffs) {
        String path = parentPath + "/" + e.getLocalName();
        if (!same(e.getNamespaceURI(), a.getNamespaceURI()) || !e.getLocalName().equals(a.getLocalName())) {
            diffs.add(parentPath + ": expected {" + e.getNamespaceURI() + "}" + e.getLocalName() + ", got {"
                    + a.getNamespaceURI() + "}" + a.getLocalName());
            return;
        }
        Map<String, Attr> ea = attributes(e);
        Map<String, Attr> aa = attributes(a);
        if (!ea.keySet().equals(aa.keySet())) {
            diffs.add(path + ": attributes " + aa.keySet() + ", expected " + ea.keySet());
        } else {
            for (Map.Entry<String, Attr> x : ea.entrySet()) {
                Attr actualAttr = aa.get(x.getKey());
                if (!matches(x.getValue().getValue(), e, actualAttr.getValue(), a, captures)) {
                    diffs.add(path + "/@" + x.getKey() + ": '" + actualAttr.getValue() + "', expected '"
                            + x.getValue().getValue() + "'");
                }
            }
        }
        List<Element> ec = children(e);
        List<Element> ac = children(a);
        if (WSMAN.equals(e.getNamespaceURI()) && "SelectorSet".equals(e.getLocalName())) {
            // DSP0226: a SelectorSet is a set; its order carries no meaning.
            ec.sort(java.util.Comparator.comparing(s -> s.getAttribute("Name")));
            ac.sort(java.util.Comparator.comparing(s -> s.getAttribute("Name")));
        }
        if (ec.isEmpty() && "{{any}}".equals(e.getTextContent().trim())) {
            return; // any content at all, text or elements
        }
        if (ec.isEmpty()) {
            if (!ac.isEmpty()) {
                diffs.add(path + ": expected text '" + e.getTextContent().trim() + "', got elements "
                        + ac.stream().map(Element::getLocalName).toList());
            } else if (!matches(e.getTextContent().trim(), e, a.getTextContent().trim(), a, captures)) {
                diffs.add(path + ": '" + a.getTextContent().trim() + "', expected '" + e.getTextContent().trim() + "'");
            }
            return;
        }
        for (int i = 0; i < Math.max(ec.size(), ac.size()); i++) {
            if (i >= ec.size()) {
                diffs.add(path + ": unexpected " + ac.get(i).getLocalName() + " (child " + (i + 1) + ")");
            } else if (i >= ac.size()) {
                diffs.add(path + ": missing " + ec.get(i).getLocalName() + " (child " + (i + 1) + ")");
            } else {
                compare(ec.get(i), ac.get(i), path, captures, diffs);
            }
        }
    }

    /** Attributes other than namespace declarations, by {namespace}name. */
    private static Map<String, Attr> attributes(Element e) {
        Map<String, Attr> out = new LinkedHashMap<>();
        NamedNodeMap map = e.getAttributes();
        for (int i = 0; i < map.getLength(); i++) {
            Attr attr = (Attr) map.item(i);
            if (XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(attr.getNamespaceURI())) {
                continue;
            }
            String ns = attr.getNamespaceURI();
            out.put((ns == null ? "" : "{" + ns + "}") + attr.getLocalName(), attr);
        }
        return out;
    }

    /** Text compared after QName resolution, with placeholders in the expected text. */
    private static boolean matches(String expected, Element expectedScope, String actual, Element actualScope,
                                   Map<String, String> captures) {
        String exp = resolveQName(expected, expectedScope);
        String act = resolveQName(actual, actualScope);
        StringBuilder regex = new StringBuilder();
        List<String> names = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(exp);
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(exp.substring(last, m.start())));
            String p = m.group(1).trim();
            if (p.startsWith("capture:")) {
                names.add(p.substring("capture:".length()));
                regex.append("(.+?)");
            } else if (p.startsWith("re:")) {
                regex.append("(?:").append(p.substring(3)).append(")");
            } else {
                regex.append(switch (p) {
                    case "any" -> "(?:.*?)";
                    case "uuid" -> "(?:uuid:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})";
                    case "datetime" -> "(?:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d))";
                    case "int" -> "(?:-?\\d+)";
                    default -> throw new IllegalArgumentException("unknown placeholder {{" + p + "}}");
                });
            }
            last = m.end();
        }
        regex.append(Pattern.quote(exp.substring(last)));
        Matcher am = Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(act);
        if (!am.matches()) {
            return false;
        }
        for (int i = 0; i < names.size(); i++) {
            captures.put(names.get(i), am.group(i + 1));
        }
        return true;
    }

    /** {@code p:Local} whose prefix is declared in scope becomes {@code {namespace}Local}. */
    private static String resolveQName(String text, Element scope) {
        Matcher q = QNAME.matcher(text);
        if (!q.matches()) {
            return text;
        }
        String ns = scope.lookupNamespaceURI(q.group(1));
        return ns == null ? text : "{" + ns + "}" + q.group(2);
    }

    private static List<Element> children(Element parent) {
        List<Element> list = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el) {
                list.add(el);
            }
        }
        return list;
    }

    private static boolean same(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }
}
