package org.vamt.security.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.security.Login;
import org.vamt.security.SecurityService.DigestAnswer;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.digest.DigestSession;

/** The one door: a lockout shared by HTTP Digest and session logins, audited, reconfigured in place. */
class SecurityServiceComponentTest {
    static final String VM = "vm-1";
    static final String REALM = "Digest:VM1";
    static final String PASSWORD = "P@ssw0rd-1";
    static final String HERE = "192.0.2.1";
    static final String THERE = "192.0.2.2";

    /** admin on every VM with every realm; viewer with hardware asset only. */
    final UserDirectory users = new UserDirectory() {
        @Override
        public Optional<String> ha1(String user, String machineId, String digestRealm) {
            return List.of("admin", "viewer").contains(user) ? Optional.of(DigestMath.ha1(user, digestRealm, PASSWORD))
                    : Optional.empty();
        }

        @Override
        public boolean permits(String user, String machineId, int realm) {
            return user.equals("admin") || realm == AmtRealm.HARDWARE_ASSET;
        }
    };
    final List<AuditEvent> audited = new CopyOnWriteArrayList<>();
    final SecurityServiceComponent security = new SecurityServiceComponent(users, TestConfigs.of(
            SecurityServiceComponent.Config.class, Map.of("maxFailedLogins", 3)));

    SecurityServiceComponentTest() {
        security.bindAuditTrail(audited::add);
    }

    private Login http(String user, String password, String from) {
        DigestSession s = new DigestSession(user, password);
        s.learn(security.challenge(REALM, false));
        return security.authenticateHttp(s.authorization("POST", "/wsman"), "POST", "/wsman", VM, REALM, from);
    }

    private Login redirection(String user, String password, String from) {
        return security.verifyPassword(user, password, VM, REALM, AmtRealm.REDIRECTION, from);
    }

    @Test
    void theChallengeHasAmtsLayout() {
        assertTrue(security.challenge(REALM, true).matches(
                "Digest realm=\"Digest:VM1\", nonce=\"[A-Za-z0-9+/]{32}\",stale=\"true\",qop=\"auth\""));
    }

    @Test
    void failuresOnOneProtocolLockTheUserOutOfEveryProtocolFromThatAddressOnly() {
        assertInstanceOf(Login.Accepted.class, http("admin", PASSWORD, HERE));
        for (int i = 0; i < 3; i++) {
            assertInstanceOf(Login.Rejected.class, redirection("admin", "wrong-" + i, HERE));
        }
        assertInstanceOf(Login.Rejected.class, http("admin", PASSWORD, HERE), "locked out of HTTP too");
        assertInstanceOf(Login.Rejected.class, redirection("admin", PASSWORD, HERE));
        assertInstanceOf(Login.Accepted.class, http("admin", PASSWORD, THERE), "another address is not affected");
        assertEquals(3, audited.size(), "each failure until the lockout is audited, not the refusals during it");
        assertTrue(audited.stream().allMatch(e -> e.appId() == 16 && e.eventId() == 5 && e.initiator().equals("admin")
                && e.address().equals(HERE) && e.machineId().equals(VM)));
    }

    @Test
    void sessionLoginsNeedTheRealmTheProtocolRequires() {
        assertInstanceOf(Login.Rejected.class, redirection("viewer", PASSWORD, HERE), "viewer lacks redirection");
        assertInstanceOf(Login.Accepted.class, security.verifyPassword("viewer", PASSWORD, VM, REALM,
                AmtRealm.HARDWARE_ASSET, HERE));
        String nonce = "0123456789abcdef";
        String response = DigestMath.response(DigestMath.ha1("admin", REALM, PASSWORD), nonce, "00000001", "c1",
                "auth", "POST", "/RedirectionService");
        assertInstanceOf(Login.Accepted.class, security.verifyDigest(new DigestAnswer("admin", nonce,
                "/RedirectionService", "POST", "00000001", "c1", "auth", response), VM, REALM, AmtRealm.REDIRECTION,
                HERE));
        assertInstanceOf(Login.Rejected.class, security.verifyDigest(new DigestAnswer("admin", nonce,
                "/RedirectionService", "POST", "00000001", "c1", "auth", response.replace('a', 'b')), VM, REALM,
                AmtRealm.REDIRECTION, HERE));
    }

    @Test
    void aNewThresholdAppliesInPlaceKeepingCountsAndNonces() {
        DigestSession console = new DigestSession("admin", PASSWORD);
        console.learn(security.challenge(REALM, false));
        redirection("admin", "wrong", HERE);
        redirection("admin", "wrong", HERE);
        security.modified(TestConfigs.of(SecurityServiceComponent.Config.class, Map.of("maxFailedLogins", 5)));
        redirection("admin", "wrong", HERE);
        assertInstanceOf(Login.Accepted.class, security.authenticateHttp(console.authorization("POST", "/wsman"),
                "POST", "/wsman", VM, REALM, HERE), "3 failures < 5, and the nonce issued before still works");
        security.modified(TestConfigs.of(SecurityServiceComponent.Config.class, Map.of("maxFailedLogins", 1)));
        redirection("admin", "wrong", HERE);
        assertInstanceOf(Login.Rejected.class, http("admin", PASSWORD, HERE), "1 failure is enough now");
    }

    @Test
    void aFloodOfInventedNamesCannotRollTheRealAuditRecordsOut() {
        for (int i = 0; i < 100_000; i++) {
            redirection("ghost-" + i, "x", "198.51.100." + (i % 250));
        }
        assertEquals(SecurityServiceComponent.UNKNOWN_NAMES_PER_MINUTE, audited.size(),
                "unknown names: a few records a minute per VM, the rest only counted");
        redirection("admin", "wrong", HERE);
        assertEquals(SecurityServiceComponent.UNKNOWN_NAMES_PER_MINUTE + 1, audited.size());
        assertEquals("admin", audited.get(audited.size() - 1).initiator(), "a real user's failure is always recorded");
        assertInstanceOf(Login.Rejected.class, redirection("ghost-1", PASSWORD, "198.51.100.1"));
    }

    @Test
    void anRfc2069AnswerWithoutQopIsRefusedAsAmtRefusesIt() {
        String nonce = org.vamt.security.digest.DigestMath.parameters(security.challenge(REALM, false).substring(7))
                .get("nonce");
        String response = DigestMath.response(DigestMath.ha1("admin", REALM, PASSWORD), nonce, null, null, null,
                "POST", "/wsman");
        String rfc2069 = "Digest username=\"admin\", realm=\"" + REALM + "\", nonce=\"" + nonce
                + "\", uri=\"/wsman\", response=\"" + response + "\"";
        assertInstanceOf(Login.Rejected.class, security.authenticateHttp(rfc2069, "POST", "/wsman", VM, REALM, HERE));
        assertEquals(List.of(), audited, "a protocol refusal, not a failed login");
        assertInstanceOf(Login.Accepted.class, http("admin", PASSWORD, HERE));
    }
}
