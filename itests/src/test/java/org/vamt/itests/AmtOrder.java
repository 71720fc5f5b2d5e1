package org.vamt.itests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The order real AMT 16 writes an answer in, as a checker over the XML received: an instance's
 * properties in ASCII order of their names, except the classes in {@link #OWN_LAST}, whose own
 * properties follow the inherited ones (themselves in ASCII order); every SelectorSet's selectors
 * in alphabetical order. Written from captured AMT answers (go-wsman-messages' response fixtures:
 * 159 of 165 instances in ASCII order, the rest in the three classes below), independently of
 * vAMT's own implementation of the rule.
 */
final class AmtOrder {
    /** Own properties, in the order AMT writes them after the inherited ones (their MOF order). */
    static final Map<String, List<String>> OWN_LAST = Map.of(
            "IPS_PowerManagementService", List.of("OSPowerSavingState"),
            "IPS_AlarmClockOccurrence", List.of("StartTime", "Interval", "DeleteOnCompletion"),
            "AMT_Hdr8021Filter", List.of("HdrSrcMACAddr8021", "HdrSrcMACMask8021", "HdrDestMACAddr8021",
                    "HdrDestMACMask8021", "HdrProtocolID8021", "HdrPriorityValue8021", "HdrVLANID8021",
                    "FilterProfile", "FilterDirection", "ActionEventOnMatch", "FilterProfileData"));

    private AmtOrder() {
    }

    /** Problems with one answer: instances (children of Items or Item, a Get's body) and SelectorSets. */
    static List<String> violations(String where, String xml) throws Exception {
        List<String> problems = new ArrayList<>();
        Document doc = GoldenXml.parse(xml);
        for (Element items : elements(doc, "Items")) {
            for (Element child : children(items)) {
                if ("Item".equals(child.getLocalName())) {
                    children(child).stream().filter(e -> !"EndpointReference".equals(e.getLocalName()))
                            .forEach(i -> check(where, i, problems));
                } else {
                    check(where, child, problems);
                }
            }
        }
        for (Element body : elements(doc, "Body")) {
            for (Element child : children(body)) {
                if (!child.getLocalName().endsWith("Response") && !"Fault".equals(child.getLocalName())) {
                    check(where, child, problems);   // the instance a Get or Put answers
                }
            }
        }
        for (Element set : elements(doc, "SelectorSet")) {
            List<String> names = new ArrayList<>();
            for (Element s : children(set)) {
                names.add(s.getAttribute("Name"));
            }
            List<String> sorted = new ArrayList<>(names);
            sorted.sort(null);
            if (!names.equals(sorted)) {
                problems.add(where + ": selectors " + names + ", AMT's order is " + sorted);
            }
        }
        return problems;
    }

    /** Checks one instance element. */
    static void check(String where, Element instance, List<String> problems) {
        List<String> names = new ArrayList<>();
        for (Element p : children(instance)) {
            String n = p.getLocalName();
            if (names.isEmpty() || !names.get(names.size() - 1).equals(n)) {
                names.add(n);   // an array is one property written as repeated elements
            }
        }
        List<String> expected = expected(instance.getLocalName(), names);
        if (!names.equals(expected)) {
            problems.add(where + ": " + instance.getLocalName() + " properties " + names + ", AMT's order is " + expected);
        }
    }

    /** The names in AMT's order for an instance of {@code className}. */
    static List<String> expected(String className, List<String> names) {
        List<String> own = OWN_LAST.getOrDefault(className, List.of());
        List<String> out = new ArrayList<>(names.stream().filter(n -> !own.contains(n)).sorted().toList());
        own.stream().filter(names::contains).forEach(out::add);
        return out;
    }

    private static List<Element> elements(Document doc, String localName) {
        List<Element> out = new ArrayList<>();
        NodeList all = doc.getElementsByTagNameNS("*", localName);
        for (int i = 0; i < all.getLength(); i++) {
            out.add((Element) all.item(i));
        }
        return out;
    }

    private static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }
}
