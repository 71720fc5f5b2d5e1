package org.vamt.cimom.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.InvalidKeyException;
import org.vamt.cim.MethodResult;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema's rules, applied in one place for every provider: known classes, exact key sets,
 * typed values in AMT's order, Put limited to writable properties, method parameters checked
 * on the way in and out.
 */
final class SchemaEnforcer {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaEnforcer.class);

    private SchemaEnforcer() {
    }

    static CimClassDef requireClass(CimSchema schema, String className) throws CimException {
        return schema.classDef(className)
                .orElseThrow(() -> new CimException(CimStatus.INVALID_CLASS, "unknown class " + className));
    }

    /**
     * A client's path made exact: an empty path stays empty (singleton addressing); otherwise the
     * selectors must be exactly the class's keys, each of the key's type.
     */
    static CimObjectPath checkPath(CimSchema schema, CimObjectPath path) throws CimException {
        CimClassDef c = requireClass(schema, path.className());
        if (path.keys().isEmpty()) {
            return new CimObjectPath(c.name(), Map.of());
        }
        List<CimPropertyDef> keys = schema.keys(c.name());
        Map<String, Object> typed = new LinkedHashMap<>();
        for (String given : path.keys().keySet()) {
            if (!isKey(keys, given)) {
                throw new InvalidKeyException(InvalidKeyException.Problem.UNEXPECTED_SELECTORS,
                        "'" + given + "' is not a key of " + c.name());
            }
        }
        for (CimPropertyDef k : keys) {
            Object v = path.key(k.name());
            if (v == null) {
                throw new InvalidKeyException(InvalidKeyException.Problem.INSUFFICIENT_SELECTORS,
                        "key " + k.name() + " of " + c.name() + " is missing");
            }
            try {
                typed.put(k.name(), TypeCoercion.coerce(k.type(), false, k, v, "key " + k.name()));
            } catch (CimException e) {
                throw new InvalidKeyException(InvalidKeyException.Problem.TYPE_MISMATCH, e.getMessage());
            }
        }
        return new CimObjectPath(c.name(), typed);
    }

    private static boolean isKey(List<CimPropertyDef> keys, String name) {
        for (CimPropertyDef k : keys) {
            if (k.name().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A client's path that may leave keys out: every selector must be a key of the class, of the
     * key's type; the keys given are returned typed, in schema order.
     */
    static CimObjectPath checkPartialPath(CimSchema schema, CimObjectPath path) throws CimException {
        CimClassDef c = requireClass(schema, path.className());
        Map<String, Object> typed = new LinkedHashMap<>();
        for (CimPropertyDef k : schema.keys(c.name())) {
            Object v = path.key(k.name());
            if (v == null) {
                continue;
            }
            try {
                typed.put(k.name(), TypeCoercion.coerce(k.type(), false, k, v, "key " + k.name()));
            } catch (CimException e) {
                throw new InvalidKeyException(InvalidKeyException.Problem.TYPE_MISMATCH, e.getMessage());
            }
        }
        if (typed.size() != path.keys().size()) {
            throw new InvalidKeyException(InvalidKeyException.Problem.UNEXPECTED_SELECTORS,
                    "a selector is not a key of " + c.name());
        }
        return new CimObjectPath(c.name(), typed);
    }

    /**
     * A provider's instance in the schema's form: properties in AMT's order
     * ({@link CimSchema#amtOrder}) with schema types,
     * keys marked by the schema. Properties the class does not have are dropped and logged, as
     * they are a provider bug, not the client's problem.
     */
    static CimInstance normalize(CimSchema schema, CimInstance i) throws CimException {
        CimClassDef c = schema.classDef(i.className()).orElseThrow(() -> new CimException(CimStatus.FAILED,
                "a provider returned an instance of " + i.className() + ", which the schema does not define"));
        List<CimPropertyDef> order = schema.amtOrder(c.name());
        Map<String, Integer> positions = schema.amtOrderPositions(c.name());
        // Place the instance's (few) properties by index rather than asking the instance for each of the class's
        // (many) properties: a miss there is a case-insensitive scan of the whole instance.
        Object[] values = new Object[order.size()];
        Set<String> unknown = null;
        for (Map.Entry<String, Object> e : i.properties().entrySet()) {
            String name = e.getKey();
            Integer at = positions.get(name);
            if (at == null) {
                at = positions.get(name.toLowerCase(Locale.ROOT));
            }
            if (at == null) {
                if (unknown == null) {
                    unknown = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                }
                unknown.add(name);
            } else if (values[at] == null || order.get(at).name().equals(name)) {
                values[at] = e.getValue();   // as CimInstance.get: the exact spelling wins, else the first match
            }
        }
        CimInstance.Builder b = CimInstance.builder(c.name());
        for (int at = 0; at < values.length; at++) {
            Object v = values[at];
            if (v == null) {
                continue;
            }
            CimPropertyDef p = order.get(at);
            Object typed;
            try {
                typed = TypeCoercion.coerce(p.type(), p.array(), p, v,
                        c.name() + "." + p.name());
            } catch (CimException e) {
                throw new CimException(CimStatus.FAILED, "provider value does not fit the schema: " + e.getMessage());
            }
            if (p.isKey()) {
                b.key(p.name(), typed);
            } else {
                b.property(p.name(), typed);
            }
        }
        if (unknown != null) {
            LOG.warn("Provider of {} set properties the class does not have: {}", c.name(), unknown);
        }
        return b.build();
    }

    /**
     * The instance a Put may produce: the current instance with the client's writable properties.
     * Clients send the whole instance back, read-only properties included and sometimes changed
     * (Intel's toolkit sets OptionsCleared), so read-only properties are ignored, as AMT does. A
     * class with nothing writable cannot be Put at all.
     */
    static CimInstance applyPut(CimSchema schema, CimInstance current, CimInstance requested) throws CimException {
        if (schema.properties(current.className()).stream().noneMatch(CimPropertyDef::isWritable)) {
            throw new CimException(CimStatus.NOT_SUPPORTED, current.className() + " has no writable property");
        }
        CimInstance.Builder b = current.toBuilder();
        for (Map.Entry<String, Object> e : requested.properties().entrySet()) {
            CimPropertyDef p = schema.property(current.className(), e.getKey()).orElseThrow(() ->
                    new CimException(CimStatus.NO_SUCH_PROPERTY, current.className() + " has no property " + e.getKey()));
            if (p.isWritable()) {
                b.property(p.name(), TypeCoercion.coerce(p.type(), p.array(), p, e.getValue(), p.name()));
            } else if (!sameValue(current.get(p.name()), e.getValue())) {
                LOG.debug("Put of {} ignores read-only {}", current.className(), p.name());
            }
        }
        return b.build();
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!CimValues.sameValue(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return CimValues.sameValue(a, b);
    }

    /**
     * A client's new instance typed by the schema: a concrete class, known properties only,
     * each of its type. Keys may be missing: the provider assigns them.
     */
    static CimInstance forCreate(CimSchema schema, CimInstance requested) throws CimException {
        CimClassDef c = requireClass(schema, requested.className());
        if (c.isAbstract()) {
            throw new CimException(CimStatus.INVALID_CLASS, c.name() + " is abstract");
        }
        CimInstance.Builder b = CimInstance.builder(c.name());
        for (Map.Entry<String, Object> e : requested.properties().entrySet()) {
            CimPropertyDef p = schema.property(c.name(), e.getKey()).orElseThrow(() ->
                    new CimException(CimStatus.NO_SUCH_PROPERTY, c.name() + " has no property " + e.getKey()));
            Object typed = TypeCoercion.coerce(p.type(), p.array(), p, e.getValue(), p.name());
            if (p.isKey()) {
                b.key(p.name(), typed);
            } else {
                b.property(p.name(), typed);
            }
        }
        return b.build();
    }

    static CimMethodDef requireMethod(CimSchema schema, String className, String method) throws CimException {
        return schema.method(className, method)
                .orElseThrow(() -> new CimException(CimStatus.METHOD_NOT_FOUND, className + " has no method " + method));
    }

    /**
     * Arguments typed by the method's In parameters, in parameter order; unknown or missing
     * required ones are refused.
     */
    static Map<String, Object> checkArguments(CimMethodDef m, Map<String, Object> args) throws CimException {
        Map<String, Object> typed = new LinkedHashMap<>();
        for (Map.Entry<String, Object> a : args.entrySet()) {
            CimParameterDef p = m.parameter(a.getKey()).filter(CimParameterDef::isIn).orElseThrow(() ->
                    new CimException(CimStatus.INVALID_PARAMETER, m.name() + " has no input parameter " + a.getKey()));
            try {
                typed.put(p.name(), TypeCoercion.coerce(p.type(), p.array(), p,
                        a.getValue(), "parameter " + p.name()));
            } catch (CimException e) {
                throw new CimException(CimStatus.INVALID_PARAMETER, e.getMessage());
            }
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (CimParameterDef p : m.parameters()) {
            if (p.isIn() && p.is("Required") && !typed.containsKey(p.name())) {
                throw new CimException(CimStatus.INVALID_PARAMETER, m.name() + " requires " + p.name());
            }
            if (typed.containsKey(p.name())) {
                ordered.put(p.name(), typed.get(p.name()));
            }
        }
        return ordered;
    }

    /** Output parameters in the method's order and types; anything else is a provider bug, dropped. */
    static MethodResult checkOutputs(CimMethodDef m, MethodResult r) throws CimException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (CimParameterDef p : m.parameters()) {
            if (!p.isOut()) {
                continue;
            }
            Object v = r.outputs().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(p.name()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (v != null) {
                out.put(p.name(), TypeCoercion.coerce(p.type(), p.array(), p, v,
                        "output " + p.name()));
            }
        }
        if (out.size() != r.outputs().size()) {
            LOG.warn("Method {} returned outputs that are not Out parameters: {}", m.name(), r.outputs().keySet());
        }
        long rv = r.returnValue();
        if (m.returnType().isInteger() && (rv < m.returnType().minValue() || rv > m.returnType().maxValue())) {
            throw new CimException(CimStatus.FAILED, m.name() + " returned " + rv + ", outside " + m.returnType().mofName());
        }
        return new MethodResult(rv, out);
    }
}
