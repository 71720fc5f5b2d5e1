package org.vamt.provider.settings.internal;

import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.vamt.hypervisor.state.StateType;

/**
 * What consoles wrote into a VM's AMT_GeneralSettings (HostName, DomainName…), as text by property
 * name (the CIMOM types it by the MOF on the way out). Typed per-VM state, namespace
 * {@code settings}; this bundle alone reads and writes it.
 */
record GeneralSettingsState(Map<String, String> written) {
    static final GeneralSettingsState NONE = new GeneralSettingsState(Map.of());
    /** The key of the untyped metadata form before typed state (Properties text). */
    static final String LEGACY_KEY = "settings.general";

    static final StateType<GeneralSettingsState> STATE = StateType.of("settings", GeneralSettingsState.class, NONE)
            .migratingFrom(Set.of(LEGACY_KEY), (uuid, legacy) -> fromProperties(legacy.get(LEGACY_KEY)));

    GeneralSettingsState {
        written = written == null ? Map.of() : Map.copyOf(new TreeMap<>(written));
    }

    GeneralSettingsState with(Map<String, String> changes) {
        Map<String, String> next = new TreeMap<>(written);
        next.putAll(changes);
        return new GeneralSettingsState(next);
    }

    static GeneralSettingsState fromProperties(String text) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(text));
        Map<String, String> m = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return new GeneralSettingsState(m);
    }
}
