package org.vamt.wsman.internal;

import java.util.Optional;

/**
 * ResourceURI ⇄ CIM class name, the way AMT clients build them: a schema prefix chosen by the
 * class name's schema (CIM_, AMT_, IPS_) followed by the class name. Classes of our own (such as
 * the paper's Processor) live under vAMT's schema URI.
 */
final class ResourceUris {
    static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    static final String VAMT = "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/";

    /** DSP0227's ResourceURI for "any class", used with association filters. */
    static final String ALL_CLASSES = "http://schemas.dmtf.org/wbem/wscim/1/*";

    private static final String[] PREFIXES = {CIM, AMT, IPS, VAMT};

    private ResourceUris() {
    }

    static String forClass(String className) {
        if (className.startsWith("CIM_")) {
            return CIM + className;
        }
        if (className.startsWith("AMT_")) {
            return AMT + className;
        }
        if (className.startsWith("IPS_")) {
            return IPS + className;
        }
        return VAMT + className;
    }

    static boolean isAllClasses(String resourceUri) {
        return resourceUri != null && ALL_CLASSES.equalsIgnoreCase(resourceUri.trim());
    }

    /** The class a ResourceURI names, or empty for a URI outside the known schemas. */
    static Optional<String> className(String resourceUri) {
        if (resourceUri == null) {
            return Optional.empty();
        }
        String uri = resourceUri.trim();
        for (String prefix : PREFIXES) {
            if (uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
                String name = uri.substring(prefix.length());
                if (isCimName(name) && forClass(name).regionMatches(true, 0, prefix, 0,
                        prefix.length())) {
                    return Optional.of(name);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether {@code text} is a CIM class, property or method name ({@code [A-Za-z_][A-Za-z0-9_]*}). Asked on
     * every request: a loop, where String.matches compiled the pattern each time (~4 % of a Get's CPU).
     */
    static boolean isCimName(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean letter = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_';
            if (!letter && (i == 0 || c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }
}
