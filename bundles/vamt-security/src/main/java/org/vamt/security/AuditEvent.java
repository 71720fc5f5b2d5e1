package org.vamt.security;

import java.time.Instant;
import java.util.Objects;

/**
 * One audit record in AMT's terms.
 *
 * @param machineId    UUID of the VM acted on
 * @param appId        AMT AuditAppID (e.g. 17 remote control operations, 16 security admin)
 * @param eventId      AMT EventID within the application (e.g. 0 = power up for 17)
 * @param initiator    the Digest user, or null when nobody authenticated
 * @param address      the client's network address
 * @param extendedData event-specific bytes as AMT defines them (may be empty)
 * @param time         when it happened
 */
public record AuditEvent(String machineId, int appId, int eventId, String initiator, String address,
                         byte[] extendedData, Instant time) {
    public AuditEvent {
        Objects.requireNonNull(machineId, "machineId");
        Objects.requireNonNull(time, "time");
        address = address == null ? "" : address;
        extendedData = extendedData == null ? new byte[0] : extendedData.clone();
    }

    @Override
    public byte[] extendedData() {
        return extendedData.clone();
    }
}
