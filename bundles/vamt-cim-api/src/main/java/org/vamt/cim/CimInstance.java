package org.vamt.cim;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One CIM instance: its class, its properties in order, and which of them are keys.
 * Immutable; build with {@link #builder(String)}. A property whose value is null is absent
 * (WS-Management omits it).
 */
public final class CimInstance implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String className;
    private final Map<String, Object> properties;
    private final Set<String> keyNames;

    private CimInstance(String className, Map<String, Object> properties, Set<String> keyNames) {
        this.className = className;
        this.properties = Collections.unmodifiableMap(properties);
        this.keyNames = Collections.unmodifiableSet(keyNames);
    }

    public static Builder builder(String className) {
        return new Builder(className);
    }

    public String className() {
        return className;
    }

    /** Properties in the order they were added; values never null. */
    public Map<String, Object> properties() {
        return properties;
    }

    /** Value of a property by name (case-insensitive), or null when absent. */
    public Object get(String name) {
        Object v = properties.get(name);
        if (v != null) {
            return v;
        }
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    public Set<String> keyNames() {
        return keyNames;
    }

    /** The object path naming this instance (its key properties). */
    public CimObjectPath path() {
        Map<String, Object> keys = new LinkedHashMap<>();
        for (String k : keyNames) {
            keys.put(k, properties.get(k));
        }
        return new CimObjectPath(className, keys);
    }

    /** A builder pre-filled with this instance, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder(className);
        properties.forEach((k, v) -> {
            if (keyNames.contains(k)) {
                b.key(k, v);
            } else {
                b.property(k, v);
            }
        });
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CimInstance other && className.equals(other.className)
                && properties.equals(other.properties) && keyNames.equals(other.keyNames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(className, properties);
    }

    @Override
    public String toString() {
        return className + properties;
    }

    public static final class Builder {
        private final String className;
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private final Set<String> keyNames = new LinkedHashSet<>();

        private Builder(String className) {
            this.className = Objects.requireNonNull(className, "className");
        }

        /** Adds a key property; keys must have a value. */
        public Builder key(String name, Object value) {
            Objects.requireNonNull(value, () -> "key " + name + " of " + className);
            keyNames.add(name);
            return put(name, value);
        }

        /** Adds a property; a null value leaves it absent. Integers are stored as Long. */
        public Builder property(String name, Object value) {
            if (value == null) {
                properties.remove(name);
                return this;
            }
            return put(name, value);
        }

        private Builder put(String name, Object value) {
            Object v = normalize(value);
            if (!CimValues.isSupported(v)) {
                throw new IllegalArgumentException("unsupported value for " + className + "." + name + ": "
                        + value.getClass().getName());
            }
            properties.put(name, v);
            return this;
        }

        private static Object normalize(Object value) {
            if (value instanceof Integer i) {
                return i.longValue();
            }
            if (value instanceof Short s) {
                return s.longValue();
            }
            if (value instanceof Byte b) {
                return b.longValue();
            }
            if (value instanceof List<?> list) {
                List<Object> copy = new ArrayList<>(list.size());
                list.forEach(e -> copy.add(normalize(e)));
                return Collections.unmodifiableList(copy);
            }
            return value;
        }

        public CimInstance build() {
            return new CimInstance(className, new LinkedHashMap<>(properties), new LinkedHashSet<>(keyNames));
        }
    }
}
