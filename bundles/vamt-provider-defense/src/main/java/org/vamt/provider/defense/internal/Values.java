package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimStatus;

/**
 * Reading property values tolerantly: the CIMOM hands providers values typed by the schema, but
 * text ("true", "7") is accepted too.
 */
final class Values {
    private Values() {
    }

    static Boolean bool(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return switch (s.trim()) {
                case "true", "1" -> Boolean.TRUE;
                case "false", "0" -> Boolean.FALSE;
                default -> null;
            };
        }
        return null;
    }

    static Long integer(Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** A required boolean of a client's instance; INVALID_PARAMETER when absent or not a boolean. */
    static boolean requireBool(CimInstance i, String name) throws CimException {
        Boolean b = bool(i.get(name));
        if (b == null) {
            throw missing(i, name, "a boolean");
        }
        return b;
    }

    /** A required integer of a client's instance within [min, max]. */
    static long requireInteger(CimInstance i, String name, long min, long max) throws CimException {
        Long n = integer(i.get(name));
        if (n == null) {
            throw missing(i, name, "an integer");
        }
        if (n < min || n > max) {
            throw new CimException(CimStatus.INVALID_PARAMETER,
                    i.className() + "." + name + " must be between " + min + " and " + max + ", not " + n);
        }
        return n;
    }

    /** An optional integer within [min, max]; null when absent. */
    static Long optionalInteger(CimInstance i, String name, long min, long max) throws CimException {
        return i.get(name) == null ? null : requireInteger(i, name, min, max);
    }

    /** An integer array (a single value counts as one element); empty when absent. */
    static List<Long> integers(CimInstance i, String name) throws CimException {
        Object v = i.get(name);
        List<Long> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        for (Object o : v instanceof List<?> l ? l : List.of(v)) {
            Long n = integer(o);
            if (n == null) {
                throw new CimException(CimStatus.INVALID_PARAMETER,
                        i.className() + "." + name + " must hold integers, not " + o);
            }
            out.add(n);
        }
        return out;
    }

    /**
     * The properties of a client's instance (already reduced to the class's properties) to store,
     * without the keys the provider assigns; INVALID_PARAMETER for a value that cannot be stored.
     */
    static Map<String, Object> clientProperties(CimInstance known, String... assigned) throws CimException {
        Map<String, Object> out = new LinkedHashMap<>();
        next:
        for (Map.Entry<String, Object> e : known.properties().entrySet()) {
            for (String a : assigned) {
                if (a.equalsIgnoreCase(e.getKey())) {
                    continue next;
                }
            }
            if (!DefenseState.storable(e.getValue())) {
                throw new CimException(CimStatus.INVALID_PARAMETER, known.className() + "." + e.getKey()
                        + ": unexpected value " + e.getValue());
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static CimException missing(CimInstance i, String name, String what) {
        return new CimException(CimStatus.INVALID_PARAMETER, i.className() + "." + name + " is required ("
                + what + (i.get(name) == null ? ")" : "), not " + i.get(name)));
    }
}
