package org.vamt.cimom.internal;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.Qualified;

/**
 * Brings a value to the Java form of its CIM type: Long for integers (range-checked), Double for
 * reals, Boolean, String, CimDateTime, CimObjectPath, CimInstance for embedded instances, List for
 * arrays. An {@code [OctetString] uint8[]} is carried as one base64 String, as WS-CIM puts it on the
 * wire. Text from the wire is parsed; anything that does not fit is TYPE_MISMATCH.
 */
final class TypeCoercion {
    private TypeCoercion() {
    }

    /** Coerces a value for a property or parameter, reading its type and qualifiers. */
    static Object coerce(CimDataType type, boolean array, Qualified element, Object value, String what)
            throws CimException {
        if (value == null) {
            return null;
        }
        if (type == CimDataType.UINT8 && array && element.is("OctetString")) {
            return octets(value, what);
        }
        return coerce(type, array, element.text("EmbeddedInstance").isPresent(), value, what);
    }

    private static String octets(Object value, String what) throws CimException {
        if (value instanceof String s) {
            try {
                Base64.getDecoder().decode(s.trim());
                return s.trim();
            } catch (IllegalArgumentException e) {
                throw mismatch(what, "not base64");
            }
        }
        if (value instanceof List<?> list) {
            byte[] bytes = new byte[list.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (long) integer(CimDataType.UINT8, list.get(i), what);
            }
            return Base64.getEncoder().encodeToString(bytes);
        }
        throw mismatch(what, "octets expected");
    }

    static Object coerce(CimDataType type, boolean array, boolean embedded, Object value, String what)
            throws CimException {
        if (value == null) {
            return null;
        }
        if (array) {
            List<Object> out = new ArrayList<>();
            if (value instanceof List<?> list) {
                for (Object v : list) {
                    out.add(scalar(type, embedded, v, what));
                }
            } else {
                out.add(scalar(type, embedded, value, what));
            }
            return out;
        }
        if (value instanceof List<?> list) {
            if (list.size() != 1) {
                throw mismatch(what, "one value expected, got " + list.size());
            }
            return scalar(type, embedded, list.get(0), what);
        }
        return scalar(type, embedded, value, what);
    }

    private static Object scalar(CimDataType type, boolean embedded, Object v, String what) throws CimException {
        switch (type) {
            case BOOLEAN:
                if (v instanceof Boolean) {
                    return v;
                }
                return switch (String.valueOf(v).trim()) {
                    case "true", "1" -> Boolean.TRUE;
                    case "false", "0" -> Boolean.FALSE;
                    default -> throw mismatch(what, "not a boolean: " + v);
                };
            case STRING:
            case CHAR16:
                if (embedded && v instanceof CimInstance) {
                    return v;
                }
                if (v instanceof CimObjectPath || v instanceof CimInstance) {
                    throw mismatch(what, "a string was expected");
                }
                return v instanceof CimDateTime dt ? dt.text() : String.valueOf(v);
            case REAL32:
            case REAL64:
                if (v instanceof Number n) {
                    return n.doubleValue();
                }
                try {
                    return Double.parseDouble(String.valueOf(v).trim());
                } catch (NumberFormatException e) {
                    throw mismatch(what, "not a number: " + v);
                }
            case DATETIME:
                if (v instanceof CimDateTime) {
                    return v;
                }
                if (v instanceof String s && !s.isBlank()) {
                    String t = s.trim();
                    return new CimDateTime(t, t.startsWith("P") || t.startsWith("-P"));
                }
                throw mismatch(what, "not a datetime: " + v);
            case REFERENCE:
                if (v instanceof CimObjectPath) {
                    return v;
                }
                throw mismatch(what, "an endpoint reference was expected");
            default:
                return integer(type, v, what);
        }
    }

    private static Long integer(CimDataType type, Object v, String what) throws CimException {
        long n;
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            n = ((Number) v).longValue();
        } else if (v instanceof String s) {
            try {
                n = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw mismatch(what, "not an integer: " + s);
            }
        } else {
            throw mismatch(what, "not an integer: " + v);
        }
        if (n < type.minValue() || n > type.maxValue()) {
            throw mismatch(what, n + " is out of range for " + type.mofName());
        }
        return n;
    }

    private static CimException mismatch(String what, String why) {
        return new CimException(CimStatus.TYPE_MISMATCH, what + ": " + why);
    }
}
