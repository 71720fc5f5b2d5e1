package org.vamt.cim;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Names one instance: its class and key values (a WS-Management EPR's ResourceURI + SelectorSet).
 * Key values are String, Boolean, Long, or another {@code CimObjectPath}. Key names keep their
 * order and compare case-insensitively, as CIM names do.
 */
public final class CimObjectPath implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String className;
    private final Map<String, Object> keys;

    public CimObjectPath(String className, Map<String, ?> keys) {
        this.className = Objects.requireNonNull(className, "className");
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    public static CimObjectPath of(String className) {
        return new CimObjectPath(className, Map.of());
    }

    public static CimObjectPath of(String className, String k1, Object v1) {
        return new CimObjectPath(className, Map.of(k1, v1));
    }

    public String className() {
        return className;
    }

    /** Keys in declaration order. */
    public Map<String, Object> keys() {
        return keys;
    }

    /** The key value named {@code name} (case-insensitive), or null. */
    public Object key(String name) {
        for (Map.Entry<String, Object> e : keys.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CimObjectPath other) || !className.equalsIgnoreCase(other.className)
                || keys.size() != other.keys.size()) {
            return false;
        }
        for (Map.Entry<String, Object> e : keys.entrySet()) {
            if (!CimValues.sameValue(e.getValue(), other.key(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return className.toLowerCase(java.util.Locale.ROOT).hashCode();
    }

    @Override
    public String toString() {
        return className + keys;
    }
}
