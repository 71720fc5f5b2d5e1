package org.vamt.hypervisor;

import java.io.Serializable;
import java.util.Map;

/**
 * One namespace of a machine's stored state, as {@link Hypervisor#readState} returns it.
 *
 * @param namespace  the owner's namespace
 * @param generation increases with every write; 0 when nothing is stored
 * @param json       the stored value as JSON, or null when nothing is stored
 * @param legacy     the asked-for keys of the old untyped form that are still present (to migrate)
 */
public record StateEntry(String namespace, long generation, String json, Map<String, String> legacy)
        implements Serializable {
    public StateEntry {
        legacy = legacy == null ? Map.of() : Map.copyOf(legacy);
    }

    public boolean stored() {
        return json != null;
    }
}
