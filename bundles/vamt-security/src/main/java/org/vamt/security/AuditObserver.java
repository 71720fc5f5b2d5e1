package org.vamt.security;

/**
 * Whiteboard service: hears every audit event the security service records (e.g. to push it to
 * WS-Eventing subscribers). Called on the thread that recorded it: return at once.
 */
@org.osgi.annotation.versioning.ConsumerType
@FunctionalInterface
public interface AuditObserver {
    void recorded(AuditEvent event);
}
