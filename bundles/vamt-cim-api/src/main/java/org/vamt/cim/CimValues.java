package org.vamt.cim;

import java.util.List;

/** Rules for the Java objects that carry CIM values. */
public final class CimValues {
    private CimValues() {
    }

    /**
     * Whether a value is one the model carries: String, Boolean, Long/Integer, Double, CimDateTime,
     * CimObjectPath, CimInstance (embedded), or a List of those.
     */
    public static boolean isSupported(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().allMatch(v -> v != null && !(v instanceof List) && isSupported(v));
        }
        return value instanceof String || value instanceof Boolean || value instanceof Long
                || value instanceof Integer || value instanceof Double || value instanceof CimDateTime
                || value instanceof CimObjectPath || value instanceof CimInstance;
    }

    /**
     * Compares a key as given by a client (often text from a selector) with the instance's value.
     * Numbers and booleans compare by their text form, so a selector "0" matches the key 0L.
     */
    public static boolean sameValue(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof CimObjectPath || b instanceof CimObjectPath) {
            return a.equals(b);
        }
        return text(a).equals(text(b));
    }

    /** The text form a value has on the wire. */
    public static String text(Object value) {
        if (value instanceof CimDateTime dt) {
            return dt.text();
        }
        return String.valueOf(value);
    }

    /** Reads an integer argument that may arrive as text. */
    public static long toLong(Object value) throws CimException {
        if (value instanceof Number n) {
            return n.longValue();
        }
        if (value instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new CimException(CimStatus.INVALID_PARAMETER, "not an integer: " + s);
            }
        }
        throw new CimException(CimStatus.INVALID_PARAMETER, "not an integer: " + value);
    }

    /** Reads a boolean argument that may arrive as text ("true"/"false", also "1"/"0" as XML Schema allows). */
    public static boolean toBoolean(Object value) throws CimException {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String s) {
            switch (s.trim()) {
                case "true", "1": return true;
                case "false", "0": return false;
                default: break;
            }
        }
        throw new CimException(CimStatus.INVALID_PARAMETER, "not a boolean: " + value);
    }
}
