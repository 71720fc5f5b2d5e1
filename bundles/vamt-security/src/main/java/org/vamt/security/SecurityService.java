package org.vamt.security;

/**
 * The one door of every front end (WS-Management, legacy SOAP, redirection, the web UI, tunnels):
 * HTTP Digest with AMT's quirks, Digest and password checks for session protocols, lockout after
 * repeated failures (one user from one address), AMT realm decisions and the audit trail.
 * Front ends hold no security state of their own; realm requirements of CIM classes travel with
 * their providers and are enforced by the CIMOM through {@link RealmCheck}.
 */
public interface SecurityService extends RealmCheck {

    /** A {@code WWW-Authenticate} value in AMT's exact layout, with a new nonce. */
    String challenge(String realm, boolean stale);

    /**
     * Checks an HTTP {@code Authorization} header of a request ({@code method}, {@code path}) to
     * the endpoint of {@code machineId} whose Digest realm is {@code realm}, from {@code remoteAddress}.
     * A wrong password counts towards the lockout and is recorded in the VM's audit log.
     */
    Login authenticateHttp(String authorization, String method, String path, String machineId, String realm,
                           String remoteAddress);

    /**
     * Checks a Digest answer that a session protocol carried (AMT redirection's AuthenticateSession):
     * the protocol issued {@code nonce} itself and checked it is this session's; this checks the
     * response against the user's credentials, lockout and the realm the protocol requires
     * ({@code requiredRealm}, or 0 for none), and audits a failure.
     */
    Login verifyDigest(DigestAnswer answer, String machineId, String realm, int requiredRealm, String remoteAddress);

    /** As {@link #verifyDigest}, for a user and password sent in clear (only where configured). */
    Login verifyPassword(String user, String password, String machineId, String realm, int requiredRealm,
                         String remoteAddress);

    /**
     * For a front end whose passwords another service checks (the dashboard, against Karaf's JAAS
     * realm): whether {@code account} from {@code remoteAddress} is locked out now, under the same
     * limits as every other login. {@code account} names its service too ({@code "karaf:admin"}), so
     * it never shares a count with a VM user of the same name.
     */
    boolean lockedOut(String account, String remoteAddress);

    /**
     * Counts the outcome of such a login: a failure counts towards the lockout (and starts it, logged,
     * at the limit); a success ends the count.
     */
    void loginChecked(String account, String remoteAddress, boolean succeeded);

    /** Records a successful change or event in the VM's audit log (held until the audit log is there). */
    void audit(AuditEvent event);

    /**
     * Whether an operation that {@link #audit} would record as {@code appId}/{@code eventId} on VM
     * {@code machineId} may run now: false when the VM's audit policy marks the event critical and
     * its record cannot be written (AMT's PT_STATUS_AUDIT_FAIL, 2075; see {@link AuditTrail#allows}).
     * Every front end that audits a change asks this before making it.
     */
    boolean auditAllows(String machineId, int appId, int eventId);

    /**
     * A Digest answer as a session protocol received it.
     *
     * @param qop null for RFC 2069 (no nc, cnonce)
     */
    record DigestAnswer(String user, String nonce, String uri, String method, String nc, String cnonce, String qop,
                        String response) {
    }
}
