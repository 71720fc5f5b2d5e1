package org.vamt.hypervisor.state;

import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.StateEntry;

/**
 * Typed access to one namespace of every VM's state, over {@link Hypervisor#readState} /
 * {@link Hypervisor#writeState}: values are JSON, writes are compare-and-set on the generation the
 * value was read with, so a concurrent write (another gateway, another component) is never lost:
 * {@link #write} refuses with {@link Reason#CONFLICT}, {@link #update} reads again and retries.
 * A value equal to the type's defaults is stored as nothing. Values are not logged (they may hold
 * sealed secrets).
 */
public final class StateStore<T> {
    /** How often {@link #update} tries before giving up with CONFLICT. */
    public static final int MAX_ATTEMPTS = 16;

    private final Hypervisor hypervisor;
    private final StateType<T> type;

    public StateStore(Hypervisor hypervisor, StateType<T> type) {
        this.hypervisor = Objects.requireNonNull(hypervisor);
        this.type = Objects.requireNonNull(type);
    }

    public StateType<T> type() {
        return type;
    }

    /**
     * The VM's value and its generation; the defaults (generation 0) when nothing is stored. A VM
     * that still has the old untyped keys is migrated here, once. FAILED when the stored JSON is
     * not a value of this type (nothing is overwritten).
     */
    public Versioned<T> read(String uuid) throws HypervisorException {
        for (int attempt = 1; ; attempt++) {
            StateEntry e = hypervisor.readState(uuid, type.namespace(), type.legacyKeys());
            if (e.stored()) {
                return new Versioned<>(decode(uuid, e.json()), e.generation());
            }
            if (e.legacy().isEmpty() || type.migration() == null) {
                return new Versioned<>(type.defaults(), e.generation());
            }
            T migrated;
            try {
                migrated = type.migration().migrate(uuid, e.legacy());
            } catch (Exception ex) {
                throw new HypervisorException(Reason.FAILED, "VM " + uuid + ": the old-format " + type
                        + " cannot be read (" + ex.getMessage() + "); it is left as it was", ex);
            }
            try {
                long g = hypervisor.writeState(uuid, type.namespace(), e.generation(), encode(migrated),
                        e.legacy().keySet());
                return new Versioned<>(migrated, g);
            } catch (HypervisorException ex) {
                if (ex.reason() != Reason.CONFLICT || attempt >= MAX_ATTEMPTS) {
                    throw ex;
                }   // someone else migrated or wrote meanwhile: read theirs
            }
        }
    }

    /** The VM's value (see {@link #read}). */
    public T get(String uuid) throws HypervisorException {
        return read(uuid).value();
    }

    /**
     * Stores {@code value} if the VM's state is still at {@code expectedGeneration}; returns the new
     * generation. CONFLICT (nothing written) when it was changed meanwhile.
     */
    public long write(String uuid, T value, long expectedGeneration) throws HypervisorException {
        return hypervisor.writeState(uuid, type.namespace(), expectedGeneration, encode(value), Set.of());
    }

    /**
     * Read, change, compare-and-set; on a conflict again from a fresh read, at most
     * {@link #MAX_ATTEMPTS} times (then CONFLICT). Returns the value stored (or already there,
     * when the change changed nothing: then nothing is written).
     */
    public T update(String uuid, UnaryOperator<T> change) throws HypervisorException {
        return modify(uuid, change::apply);
    }

    /** {@link #update} with a change that may refuse (its exception passes through, nothing written). */
    public <E extends Exception> T modify(String uuid, StateChange<T, E> change) throws HypervisorException, E {
        for (int attempt = 1; ; attempt++) {
            Versioned<T> current = read(uuid);
            T next = Objects.requireNonNull(change.apply(current.value()), "a state change returned null");
            if (next.equals(current.value())) {
                return next;
            }
            try {
                write(uuid, next, current.generation());
                return next;
            } catch (HypervisorException e) {
                if (e.reason() != Reason.CONFLICT || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Sets the VM back to the defaults (stores nothing), whatever was there. */
    public void clear(String uuid) throws HypervisorException {
        update(uuid, v -> type.defaults());
    }

    /** JSON of a value; null for the defaults (stored as nothing). */
    String encode(T value) {
        Objects.requireNonNull(value, "a state value cannot be null");
        return value.equals(type.defaults()) ? null : StateJson.write(value);
    }

    private T decode(String uuid, String json) throws HypervisorException {
        try {
            return StateJson.read(json, type.valueType());
        } catch (IllegalArgumentException e) {
            throw new HypervisorException(Reason.FAILED, "VM " + uuid + ": the stored " + type + " is unreadable ("
                    + e.getMessage() + "); it is left as it was", e);
        }
    }
}
