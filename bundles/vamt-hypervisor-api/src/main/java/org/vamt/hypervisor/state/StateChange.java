package org.vamt.hypervisor.state;

/** A change of a state value that may refuse with a checked exception (e.g. a CIM error). */
@FunctionalInterface
public interface StateChange<T, E extends Exception> {
    /** The new value from the current one; must not have side effects that a retry would repeat. */
    T apply(T current) throws E;
}
