package org.vamt.security.internal;

import java.util.Map;
import org.vamt.security.AuditTrail;
import org.vamt.security.SecurityService;
import org.vamt.security.UserDirectory;

/** The real security service outside OSGi, for tests of the front ends (this module's test-jar). */
public final class TestSecurity {
    private TestSecurity() {
    }

    /**
     * @param users          the users store (the real one, vamt-accounts' UserStore)
     * @param maxFailures    failed logins before a lockout
     * @param lockoutMillis  lockout length
     * @param nonceMillis    Digest nonce lifetime
     * @param audit          where audit records go
     */
    public static SecurityService create(UserDirectory users, int maxFailures, long lockoutMillis, long nonceMillis,
                                         AuditTrail audit) {
        SecurityServiceComponent s = new SecurityServiceComponent(users, TestConfigs.of(
                SecurityServiceComponent.Config.class, Map.of("maxFailedLogins", maxFailures,
                        "lockoutSeconds", 0L, "nonceLifetimeSeconds", 0L)));
        s.throttleAndNonces(maxFailures, lockoutMillis, nonceMillis);
        s.bindAuditTrail(audit);
        return s;
    }
}
