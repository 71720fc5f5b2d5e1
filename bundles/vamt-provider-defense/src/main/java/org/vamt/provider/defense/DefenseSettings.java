package org.vamt.provider.defense;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vamt.hypervisor.state.StateType;
import org.vamt.provider.defense.internal.DefenseState;

/**
 * A VM's system defense state as kept with the VM (typed per-VM state, namespace {@code defense}):
 * AMT_SystemDefensePolicy / filter objects by handle, the policies put on Ethernet ports and, while
 * an isolating policy is active, the link state each NIC had before. vamt-provider-defense owns and
 * writes it; others (the shell's vm-list) may read it through {@link #STATE}.
 *
 * @param nextHandle    the handle the next object gets (handles are not reused)
 * @param objects       stored policies and filters
 * @param ports         policies put on ports
 * @param isolatedLinks MAC (12 lower-case hex digits) → whether its link was up before isolation;
 *                      null while the VM is not isolated
 */
public record DefenseSettings(long nextHandle, List<StoredObject> objects, List<PortPolicy> ports,
                              Map<String, Boolean> isolatedLinks) {

    /**
     * A policy or filter: its CIM class and the properties a client gave, each as a tagged text
     * ({@code b true}, {@code i 42}, {@code s text}, {@code I 1,2}…) so CIM types survive.
     */
    public record StoredObject(long handle, String className, Map<String, String> properties) {
    }

    /** A policy on port {@code port} ("Intel(r) AMT Ethernet Port n"), enabled or not. */
    public record PortPolicy(int port, long policy, boolean enabled) {
    }

    /** Nothing stored. */
    public static final DefenseSettings NONE = new DefenseSettings(1, List.of(), List.of(), null);

    /** The key of the untyped metadata form before typed state (Properties text). */
    public static final String LEGACY_KEY = "defense.state";

    /** The namespace and its migration from the old {@value #LEGACY_KEY} text. */
    public static final StateType<DefenseSettings> STATE = StateType.of("defense", DefenseSettings.class, NONE)
            .migratingFrom(Set.of(LEGACY_KEY), (uuid, legacy) -> DefenseState.parse(legacy.get(LEGACY_KEY)).toSettings());

    public DefenseSettings {
        objects = objects == null ? List.of() : List.copyOf(objects);
        ports = ports == null ? List.of() : List.copyOf(ports);
        isolatedLinks = isolatedLinks == null ? null : Map.copyOf(isolatedLinks);
    }

    /** Whether an isolating policy has cut the VM off the network (its NIC links are down). */
    public boolean isolated() {
        return isolatedLinks != null;
    }
}
