package org.vamt.itests;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The output rules MeshCentral's hand-written XML splitter imposes (compat §3.5), as one check
 * usable on any response: no self-closing tags, no comments, CDATA or processing instructions
 * beyond the declaration, every namespace declared on the Envelope, no attributes inside the Body
 * except a selector's Name and a fault text's language.
 */
final class MeshCentralXmlRules {
    private static final Pattern START_TAG = Pattern.compile("<([A-Za-z_][\\w.-]*(?::[\\w.-]+)?)(\\s[^>]*)?>");

    private MeshCentralXmlRules() {
    }

    static List<String> violations(String xml) {
        List<String> v = new ArrayList<>();
        if (xml.contains("/>")) {
            v.add("self-closing tag");
        }
        if (xml.contains("<!--") || xml.contains("<![CDATA[")) {
            v.add("comment or CDATA");
        }
        if (xml.indexOf("<?", 1) > 0) {
            v.add("processing instruction after the declaration");
        }
        int bodyStart = xml.indexOf(":Body>");
        Matcher m = START_TAG.matcher(xml);
        while (m.find()) {
            String name = m.group(1);
            String attrs = m.group(2) == null ? "" : m.group(2).trim();
            if (attrs.contains("xmlns") && !name.endsWith(":Envelope")) {
                v.add("namespace declared on " + name);
            }
            if (bodyStart > 0 && m.start() > bodyStart && !attrs.isEmpty()
                    && !(name.endsWith(":Selector") && attrs.matches("Name=\"[^\" ]+\""))
                    && !(name.endsWith(":Text") && attrs.matches("xml:lang=\"[^\"]+\""))) {
                v.add("attribute on " + name + ": " + attrs);
            }
        }
        return v;
    }
}
