package org.vamt.eventing.internal;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/**
 * One event of a VM as a CIM_AlertIndication carries it.
 *
 * @param machineId         the VM
 * @param messageId         the registry message: vAMT's own ({@code VAMT0001}…), as AMT's registry entries
 *                          for these transitions are not in any public client we could read
 * @param message           the text for people
 * @param arguments         MessageArguments
 * @param perceivedSeverity CIM PerceivedSeverity (2 information, 3 degraded, 6 fatal…)
 * @param time              when it happened
 * @param realm             the AMT realm the subscribing user must hold to be sent it, or 0 for none beyond
 *                          Event Manager (audit records need the Audit Log realm, as reading the log does)
 */
record Alert(String machineId, String messageId, String message, List<String> arguments, int perceivedSeverity,
             Instant time, int realm) {

    /** The alert a lifecycle change raises; empty for changes that are not power transitions. */
    static Optional<Alert> of(MachineEvent e, Instant now) {
        return switch (e.type()) {
            case STARTED -> Optional.of(power(e, "VAMT0001", "The system powered on.", "2", 2, now));
            case RESUMED -> Optional.of(power(e, "VAMT0002", "The system resumed.", "2", 2, now));
            case STOPPED, SHUTDOWN -> Optional.of(power(e, "VAMT0003", "The system powered off.", "8", 2, now));
            case SUSPENDED, PM_SUSPENDED -> Optional.of(power(e, "VAMT0004", "The system went to sleep.", "4", 2, now));
            case CRASHED -> Optional.of(power(e, "VAMT0005", "The system crashed.", "8", 6, now));
            default -> Optional.empty();
        };
    }

    /**
     * The alert for an audit record vAMT made (AMT's audit log event): the arguments are the AuditAppID,
     * the EventID and the initiator (empty when nobody authenticated).
     */
    static Alert of(AuditEvent e, Instant now) {
        String name = AuditRecords.eventName(e.appId(), e.eventId());
        return new Alert(e.machineId(), "VAMT0100", "Audit log: " + name
                + (e.initiator() == null ? "" : " by " + e.initiator()) + ".",
                List.of(Integer.toString(e.appId()), Integer.toString(e.eventId()),
                        e.initiator() == null ? "" : e.initiator()), 2, now, AmtRealm.AUDIT_LOG);
    }

    /** The argument is the CIM_AssociatedPowerManagementService PowerState now (2 on, 4 sleep, 8 off). */
    private static Alert power(MachineEvent e, String id, String text, String powerState, int severity, Instant now) {
        return new Alert(e.uuid(), id, text, List.of(powerState), severity, now, 0);
    }
}
