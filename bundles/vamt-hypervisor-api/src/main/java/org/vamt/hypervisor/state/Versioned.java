package org.vamt.hypervisor.state;

/**
 * A value as read, with the generation to pass back to {@link StateStore#write} (0: nothing stored).
 */
public record Versioned<T>(T value, long generation) {
}
