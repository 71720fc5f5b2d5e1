package org.vamt.security.internal;

import java.time.Instant;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.metrics.Metrics;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditTrail;
import org.vamt.security.Login;
import org.vamt.security.RealmCheck;
import org.vamt.security.SecurityService;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;

/**
 * The security service: one Digest server, one lockout, one realm decision and one audit path for
 * every front end. Its settings change in place ({@code @Modified}): nonces, lockouts and
 * connections of the front ends survive a new {@code maxFailedLogins}.
 */
@Component(service = {SecurityService.class, RealmCheck.class}, immediate = true, configurationPid = SecurityServiceComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SecurityServiceComponent.Config.class)
public class SecurityServiceComponent implements SecurityService {
    static final String PID = "org.vamt.security";
    private static final Logger LOG = LoggerFactory.getLogger(SecurityServiceComponent.class);

    /** AMT's audit log: Security Admin application, event 5 "invalid credentials" (extended data 0). */
    static final int APP_SECURITY_ADMIN = 16;
    static final int EVENT_INVALID_CREDENTIALS = 5;

    @ObjectClassDefinition(name = "vAMT security", description = "Digest, login lockout and audit of every vAMT front end")
    public @interface Config {
        @AttributeDefinition(description = "Failed logins in a row (one user, one client address, any protocol) "
                + "before a lockout")
        int maxFailedLogins() default 5;

        @AttributeDefinition(description = "Seconds a user stays locked out after too many failed logins")
        long lockoutSeconds() default 60;

        @AttributeDefinition(description = "Seconds an HTTP Digest nonce stays valid after its last use")
        long nonceLifetimeSeconds() default 600;
    }

    private final UserDirectory users;
    private final HttpDigest digest;
    private final LoginThrottle throttle;
    /** At most this many audit records a minute per VM for failed logins with names no user has. */
    static final int UNKNOWN_NAMES_PER_MINUTE = 10;
    private final UnknownNameAudit unknownNames = new UnknownNameAudit(UNKNOWN_NAMES_PER_MINUTE, 60_000);
    /** Audit events go to the audit log bundle once it is there (held until then). */
    private final AuditForwarder auditLog = new AuditForwarder(10_000);

    @Activate
    public SecurityServiceComponent(@Reference UserDirectory users, Config config) {
        this.users = users;
        this.digest = new HttpDigest(users::ha1, seconds(config.nonceLifetimeSeconds(), "nonceLifetimeSeconds"), 10_000);
        this.throttle = new LoginThrottle(config.maxFailedLogins(),
                seconds(config.lockoutSeconds(), "lockoutSeconds"));
    }

    @Modified
    void modified(Config config) {
        throttle.configure(config.maxFailedLogins(), seconds(config.lockoutSeconds(), "lockoutSeconds"));
        digest.setNonceLifetime(seconds(config.nonceLifetimeSeconds(), "nonceLifetimeSeconds"));
        LOG.info("Security settings applied in place: maxFailedLogins {}, lockoutSeconds {}, nonceLifetimeSeconds {}",
                config.maxFailedLogins(), config.lockoutSeconds(), config.nonceLifetimeSeconds());
    }

    /** Limits below a second, for tests. */
    void throttleAndNonces(int maxFailures, long lockoutMillis, long nonceLifetimeMillis) {
        throttle.configure(maxFailures, lockoutMillis);
        digest.setNonceLifetime(nonceLifetimeMillis);
    }

    private static long seconds(long value, String name) {
        if (value < 0 || value > Long.MAX_VALUE / 1000) {
            throw new IllegalArgumentException(name + " must be a positive number of seconds, got " + value);
        }
        return value * 1000;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAuditTrail(AuditTrail trail) {
        auditLog.bind(trail);
    }

    void unbindAuditTrail(AuditTrail trail) {
        auditLog.unbind(trail);
    }

    /** Who else hears audit events (vamt-eventing pushes them to subscribers). */
    private final java.util.List<org.vamt.security.AuditObserver> auditObservers =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindAuditObserver")
    void bindAuditObserver(org.vamt.security.AuditObserver observer) {
        auditObservers.add(observer);
    }

    void unbindAuditObserver(org.vamt.security.AuditObserver observer) {
        auditObservers.remove(observer);
    }

    /** Login metrics while a metrics service is there; logins work the same without. */
    private volatile LoginMeters meters = LoginMeters.OFF;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMetrics")
    void bindMetrics(Metrics metrics) {
        meters = LoginMeters.of(metrics);
    }

    void unbindMetrics(Metrics metrics) {
        if (meters.metrics() == metrics) {
            meters = LoginMeters.OFF;
        }
    }

    @Override
    public String challenge(String realm, boolean stale) {
        return digest.challenge(realm, stale);
    }

    @Override
    public Login authenticateHttp(String authorization, String method, String path, String machineId, String realm,
                                  String remoteAddress) {
        HttpDigest.Outcome outcome = digest.authenticate(authorization, method, path, machineId, realm);
        if (outcome instanceof HttpDigest.Accepted a) {
            return accepted(a.user(), machineId, remoteAddress);
        }
        HttpDigest.Rejected r = (HttpDigest.Rejected) outcome;
        if (r.badUser() != null) {
            failed(r.badUser(), machineId, realm, remoteAddress);
        }
        return new Login.Rejected(r.stale(), r.why());
    }

    @Override
    public Login verifyDigest(DigestAnswer answer, String machineId, String realm, int requiredRealm,
                              String remoteAddress) {
        Optional<String> ha1 = credentials(answer.user(), machineId, realm, requiredRealm);
        String expected = ha1.map(h -> DigestMath.response(h, answer.nonce(), answer.nc(), answer.cnonce(),
                answer.qop(), answer.method(), answer.uri())).orElse(null);
        if (!DigestMath.sameDigest(expected, answer.response())) {
            failed(answer.user(), machineId, realm, remoteAddress);
            return new Login.Rejected(false, ha1.isEmpty() ? "unknown user or no access to this VM"
                    : "wrong Digest response");
        }
        return accepted(answer.user(), machineId, remoteAddress);
    }

    @Override
    public Login verifyPassword(String user, String password, String machineId, String realm, int requiredRealm,
                                String remoteAddress) {
        Optional<String> ha1 = credentials(user, machineId, realm, requiredRealm);
        if (!DigestMath.sameDigest(ha1.orElse(null), DigestMath.ha1(user, realm, password))) {
            failed(user, machineId, realm, remoteAddress);
            return new Login.Rejected(false, "wrong user or password");
        }
        return accepted(user, machineId, remoteAddress);
    }

    private Optional<String> credentials(String user, String machineId, String realm, int requiredRealm) {
        if (requiredRealm != 0 && !users.permits(user, machineId, requiredRealm)) {
            return Optional.empty();
        }
        return users.ha1(user, machineId, realm);
    }

    /** Good credentials still fail while the user is locked out from this address. */
    private Login accepted(String user, String machineId, String remoteAddress) {
        if (throttle.isLocked(user, remoteAddress, System.currentTimeMillis())) {
            meters.lockedOut().increment();
            return new Login.Rejected(false, "user " + user + " is locked out after repeated failed logins");
        }
        throttle.succeeded(user, remoteAddress);
        return new Login.Accepted(user);
    }

    private void failed(String user, String machineId, String realm, String remoteAddress) {
        long now = System.currentTimeMillis();
        if (!countFailure(user, remoteAddress, now, "VM " + machineId + ": user ")) {
            return;
        }
        // a name that is no user here costs the attacker nothing: it must not roll real records out
        if (users.ha1(user, machineId, realm).isPresent() || unknownNames.mayRecord(machineId, now)) {
            invalidCredentials(user, machineId, remoteAddress);
        }
    }

    private void invalidCredentials(String user, String machineId, String remoteAddress) {
        audit(new AuditEvent(machineId, APP_SECURITY_ADMIN, EVENT_INVALID_CREDENTIALS, user, remoteAddress,
                new byte[] {0}, Instant.now()));
    }

    @Override
    public boolean lockedOut(String account, String remoteAddress) {
        boolean locked = throttle.isLocked(account, remoteAddress, System.currentTimeMillis());
        if (locked) {
            meters.lockedOut().increment();
        }
        return locked;
    }

    @Override
    public void loginChecked(String account, String remoteAddress, boolean succeeded) {
        if (succeeded) {
            throttle.succeeded(account, remoteAddress);
            return;
        }
        countFailure(account, remoteAddress, System.currentTimeMillis(), "");
    }

    /**
     * Counts a wrong password of {@code name} from {@code remoteAddress} towards the lockout, logging
     * a lockout it starts ({@code who} before the name). False when it came during a lockout (then
     * it is only metered: the attacker learns nothing and no record rolls out).
     */
    private boolean countFailure(String name, String remoteAddress, long now, String who) {
        LoginThrottle.Failure f = throttle.failed(name, remoteAddress, now);
        if (f == LoginThrottle.Failure.WHILE_LOCKED) {
            meters.lockedOut().increment();
            return false;
        }
        meters.badCredentials().increment();
        if (f == LoginThrottle.Failure.LOCKED_NOW) {
            meters.lockouts().increment();
            // a typed name: one line in the log, whatever was typed
            LOG.warn("{}{} from {} locked out after repeated failed logins", who, name.replaceAll("\\p{Cntrl}", "?"),
                    remoteAddress);
        }
        return true;
    }

    @Override
    public boolean permits(String user, String machineId, int realm) {
        return users.permits(user, machineId, realm);
    }

    @Override
    public void audit(AuditEvent event) {
        auditLog.record(event);
        for (org.vamt.security.AuditObserver observer : auditObservers) {
            try {
                observer.recorded(event);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SecurityServiceComponent.class)
                        .warn("Audit observer {} failed", observer.getClass().getName(), e);
            }
        }
    }

    @Override
    public boolean auditAllows(String machineId, int appId, int eventId) {
        return auditLog.allows(machineId, appId, eventId);
    }
}
