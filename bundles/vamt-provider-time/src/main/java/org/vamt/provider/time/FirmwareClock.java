package org.vamt.provider.time;

import java.util.Set;
import org.vamt.hypervisor.state.StateType;

/**
 * A VM's firmware clock as AMT_TimeSynchronizationService set it: seconds ahead of the host clock
 * (negative: behind). Typed per-VM state, namespace {@code time}; vamt-provider-time owns and
 * writes it, the AMT event log (vamt-provider-logs) reads it to stamp records with the clock
 * consoles see.
 */
public record FirmwareClock(long offsetSeconds) {
    /** The host's clock. */
    public static final FirmwareClock HOST = new FirmwareClock(0);
    /** The key of the untyped metadata form before typed state. */
    public static final String LEGACY_KEY = "time.offsetSeconds";

    public static final StateType<FirmwareClock> STATE = StateType.of("time", FirmwareClock.class, HOST)
            .migratingFrom(Set.of(LEGACY_KEY), (uuid, legacy) -> new FirmwareClock(Long.parseLong(legacy.get(LEGACY_KEY).trim())));
}
