package org.vamt.security;

/**
 * Where who-did-what records go (AMT's audit log). Front ends record what users did; the
 * implementation keeps the records per VM, bounded, newest kept.
 */
public interface AuditTrail {

    void record(AuditEvent event);
}
