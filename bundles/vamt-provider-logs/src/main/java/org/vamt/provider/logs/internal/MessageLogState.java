package org.vamt.provider.logs.internal;

import java.util.Set;
import org.vamt.hypervisor.state.StateType;

/**
 * A VM's AMT event log as kept with the VM (typed per-VM state, namespace {@code logs}; this bundle
 * alone reads and writes it).
 *
 * @param frozen  FreezeLog(true): no new records until unfrozen
 * @param records the records, oldest first, as AMT's 21-byte event records concatenated and Base64
 *                encoded (the binary form AMT_MessageLog hands out anyway); null when none
 */
record MessageLogState(boolean frozen, String records) {
    static final MessageLogState EMPTY = new MessageLogState(false, null);
    /** Keys of the untyped metadata form before typed state. */
    static final String LEGACY_RECORDS = "log.messages";
    static final String LEGACY_FROZEN = "log.frozen";

    static final StateType<MessageLogState> STATE = StateType.of("logs", MessageLogState.class, EMPTY)
            .migratingFrom(Set.of(LEGACY_RECORDS, LEGACY_FROZEN), (uuid, legacy) -> new MessageLogState(
                    Boolean.parseBoolean(legacy.getOrDefault(LEGACY_FROZEN, "false").trim()),
                    legacy.get(LEGACY_RECORDS) == null || legacy.get(LEGACY_RECORDS).isBlank() ? null
                            : legacy.get(LEGACY_RECORDS).strip()));
}
