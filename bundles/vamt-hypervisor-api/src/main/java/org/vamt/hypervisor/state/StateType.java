package org.vamt.hypervisor.state;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A namespace of per-VM state and its typed value: the bundle that declares it owns the
 * namespace; others read it through this object (exported by the owner) or not at all.
 *
 * @param <T> the value: a record (or a class Jackson can read and write) that equals by value
 */
public final class StateType<T> {
    private static final Pattern NAMESPACE = Pattern.compile("[a-z][a-z0-9.-]{0,62}");

    /**
     * Turns the old untyped keys (only those present) of machine {@code uuid} into the typed value,
     * when migrating; a secret among them must come out sealed (the old form held it in clear).
     */
    @FunctionalInterface
    public interface Migration<T> {
        T migrate(String uuid, Map<String, String> legacy) throws Exception;
    }

    private final String namespace;
    private final Class<T> valueType;
    private final T defaults;
    private final Set<String> legacyKeys;
    private final Migration<T> migration;

    private StateType(String namespace, Class<T> valueType, T defaults, Set<String> legacyKeys,
                      Migration<T> migration) {
        this.namespace = namespace;
        this.valueType = valueType;
        this.defaults = defaults;
        this.legacyKeys = legacyKeys;
        this.migration = migration;
    }

    /**
     * A namespace ({@code [a-z][a-z0-9.-]*}, at most 63 characters) holding a {@code valueType};
     * {@code defaults} is the value of a VM that has nothing stored, and is stored as nothing.
     */
    public static <T> StateType<T> of(String namespace, Class<T> valueType, T defaults) {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("state namespace '" + namespace + "' is not [a-z][a-z0-9.-]{0,62}");
        }
        return new StateType<>(namespace, Objects.requireNonNull(valueType), Objects.requireNonNull(defaults),
                Set.of(), null);
    }

    /**
     * The same namespace, migrating from the old untyped metadata keys: a VM with none of the typed
     * state but some of these keys is read once through {@code migration}, rewritten in the typed
     * form and the old keys dropped, in one compare-and-set.
     */
    public StateType<T> migratingFrom(Set<String> keys, Migration<T> migration) {
        return new StateType<>(namespace, valueType, defaults, Set.copyOf(keys), Objects.requireNonNull(migration));
    }

    public String namespace() {
        return namespace;
    }

    public Class<T> valueType() {
        return valueType;
    }

    public T defaults() {
        return defaults;
    }

    public Set<String> legacyKeys() {
        return legacyKeys;
    }

    Migration<T> migration() {
        return migration;
    }

    @Override
    public String toString() {
        return "state '" + namespace + "' (" + valueType.getSimpleName() + ")";
    }
}
