package org.vamt.cim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the classes generated from MOF: a named, typed view of one instance. Generated
 * subclasses add a setter and getter per property and know their keys and property order.
 */
public abstract class TypedInstance {
    private final Map<String, Object> values = new LinkedHashMap<>();

    /** The CIM class name. */
    public abstract String className();

    /** Effective property names in schema order (inherited first). */
    protected abstract List<String> propertyOrder();

    /** Key property names. */
    protected abstract List<String> keyNames();

    /** Sets a property; null removes it. */
    protected final void put(String name, Object value) {
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
    }

    protected final Object value(String name) {
        return values.get(name);
    }

    /** Copies the properties of an instance (e.g. a client's Put) into this view. */
    protected final void load(CimInstance instance) {
        for (String p : propertyOrder()) {
            Object v = instance.get(p);
            if (v != null) {
                values.put(p, v);
            }
        }
    }

    protected static List<Long> longs(long... v) {
        List<Long> list = new ArrayList<>(v.length);
        for (long x : v) {
            list.add(x);
        }
        return list;
    }

    protected static <T> List<T> list(T[] v) {
        return v == null ? null : Arrays.asList(v);
    }

    /** The instance, properties in schema order, keys marked. */
    public CimInstance toInstance() {
        CimInstance.Builder b = CimInstance.builder(className());
        List<String> keys = keyNames();
        for (String p : propertyOrder()) {
            Object v = values.get(p);
            if (v == null) {
                continue;
            }
            if (keys.contains(p)) {
                b.key(p, v);
            } else {
                b.property(p, v);
            }
        }
        return b.build();
    }

    /** The object path of this instance (its keys). */
    public CimObjectPath path() {
        return toInstance().path();
    }

    @Override
    public String toString() {
        return className() + values;
    }
}
