package org.vamt.security;

/**
 * Where who-did-what records go (AMT's audit log). Front ends record what users did; the
 * implementation keeps the records per VM, bounded, newest kept.
 */
public interface AuditTrail {

    void record(AuditEvent event);

    /**
     * Whether an operation recorded as event {@code appId}/{@code eventId} on VM {@code machineId}
     * may run now. False only when the VM's audit policy marks the event critical and its record
     * could not be written now (the log locked by an auditor, full without roll-over, or full under
     * restricted roll-over with no record old enough to overwrite): AMT then refuses to execute the
     * operation (PT_STATUS_AUDIT_FAIL, 2075). Front ends ask before they run the operation and record
     * it after; a record that another request takes in between may still fill the log (the
     * implementation says how it keeps that window small).
     */
    default boolean allows(String machineId, int appId, int eventId) {
        return true;
    }
}
