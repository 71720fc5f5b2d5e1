package org.vamt.provider.authorization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.digest.DigestMath;

/** The AMT user ACL over real vAMT accounts (users file in a temporary directory) and the test driver. */
class AuthorizationProviderTest {
    private static final String REALM_D1 = "Digest:D1";
    private static final String REALM_KIOSK = "Digest:KIOSK";
    @TempDir
    Path etc;
    private DemoHypervisor demo;
    private UserStore users;
    private AuthorizationProvider provider;
    private final CimObjectPath service = CimObjectPath.of("AMT_AuthorizationService");

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        users = UserStore.open(etc.resolve("vamt-users.properties"), "Adm1n-Secret", p -> { });
        provider = new AuthorizationProvider(demo.hypervisor(), users);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext d1() {
        return new RequestContext(DESKTOP_01, "desktop-01", "admin", REALM_D1);
    }

    private static RequestContext kiosk() {
        return new RequestContext(KIOSK, "kiosk", "admin", REALM_KIOSK);
    }

    private MethodResult call(RequestContext ctx, String method, Map<String, Object> args) throws Exception {
        return provider.invokeMethod(ctx, service, method, args);
    }

    /** What MeshCommander sends: base64 of the raw MD5. */
    private static String meshCommanderHash(String user, String realm, String pw) throws Exception {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(DigestMath.ha1(user, realm, pw)));
    }

    @Test
    void aUserAddedOnOneVmLogsInThereOnlyWithTheRealmsGiven() throws Exception {
        MethodResult added = call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "helpdesk",
                "DigestPassword", meshCommanderHash("helpdesk", REALM_D1, "H3lp!desk"), "AccessPermission", 2L,
                "Realms", List.of(4L, 5L)));
        assertEquals(0, added.returnValue());
        long handle = (Long) added.outputs().get("Handle");
        assertEquals(DigestMath.md5Hex("helpdesk:" + REALM_D1 + ":H3lp!desk"),
                users.ha1("helpdesk", DESKTOP_01, REALM_D1).orElseThrow());
        assertFalse(users.ha1("helpdesk", KIOSK, REALM_KIOSK).isPresent(), "not granted the kiosk");
        assertTrue(users.permits("helpdesk", DESKTOP_01, 5));
        assertFalse(users.permits("helpdesk", DESKTOP_01, 21));

        MethodResult listed = call(d1(), "EnumerateUserAclEntries", Map.of("StartIndex", 1L));
        assertEquals(1L, listed.outputs().get("TotalCount"));
        assertEquals(List.of(handle), listed.outputs().get("Handles"));
        assertEquals(0L, call(kiosk(), "EnumerateUserAclEntries", Map.of("StartIndex", 1L)).outputs()
                .get("TotalCount"), "the kiosk's ACL does not show desktop-01's user");
        MethodResult entry = call(d1(), "GetUserAclEntryEx", Map.of("Handle", handle));
        assertEquals("helpdesk", entry.outputs().get("DigestUsername"));
        assertEquals(List.of(4L, 5L), entry.outputs().get("Realms"));
        assertEquals(2053L, call(kiosk(), "GetUserAclEntryEx", Map.of("Handle", handle)).returnValue());
    }

    @Test
    void updatesDisableAndRemovalReachTheAccounts() throws Exception {
        long handle = (Long) call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "ops",
                "DigestPassword", DigestMath.md5Hex("ops:" + REALM_D1 + ":0ps!Pass"), "AccessPermission", 2L,
                "Realms", List.of(4L))).outputs().get("Handle");
        assertEquals(0, call(d1(), "UpdateUserAclEntryEx", Map.of("Handle", handle, "DigestUsername", "ops",
                "DigestPassword", meshCommanderHash("ops", REALM_D1, "N3w!Pass"), "AccessPermission", 1L,
                "Realms", List.of(4L, 19L))).returnValue());
        assertEquals(Set.of(4, 19), users.account("ops").orElseThrow().realms());
        assertEquals(DigestMath.md5Hex("ops:" + REALM_D1 + ":N3w!Pass"), users.ha1("ops", DESKTOP_01, REALM_D1)
                .orElseThrow());
        assertEquals(0, call(d1(), "SetAclEnabledState", Map.of("Handle", handle, "Enabled", false)).returnValue());
        assertEquals(false, call(d1(), "GetAclEnabledState", Map.of("Handle", handle)).outputs().get("Enabled"));
        assertFalse(users.ha1("ops", DESKTOP_01, REALM_D1).isPresent());
        assertEquals(0, call(d1(), "RemoveUserAclEntry", Map.of("Handle", handle)).returnValue());
        assertTrue(users.account("ops").isEmpty());
        assertEquals(2053L, call(d1(), "RemoveUserAclEntry", Map.of("Handle", handle)).returnValue());
    }

    @Test
    void removingAnOperatorUserOnOneVmOnlyWithdrawsThatVm() throws Exception {
        users.add("operator", "Op3rator!pw".toCharArray(), Set.of(5), Set.of(DESKTOP_01, KIOSK));
        long handle = users.account("operator").orElseThrow().handle();
        assertEquals(0, call(d1(), "RemoveUserAclEntry", Map.of("Handle", (long) handle)).returnValue());
        assertEquals(Set.of(KIOSK), users.account("operator").orElseThrow().machines());
    }

    @Test
    void theAdminGetsItsOwnPasswordOnThisVm() throws Exception {
        assertEquals("admin", call(d1(), "GetAdminAclEntry", Map.of()).outputs().get("Username"));
        String hex = DigestMath.md5Hex("admin:" + REALM_D1 + ":Dev1ce!Admin");
        assertEquals(0, call(d1(), "SetAdminAclEntryEx", Map.of("Username", "admin", "DigestPassword", hex))
                .returnValue());
        assertEquals(hex, users.ha1("admin", DESKTOP_01, REALM_D1).orElseThrow());
        assertEquals(DigestMath.md5Hex("admin:" + REALM_KIOSK + ":Adm1n-Secret"),
                users.ha1("admin", KIOSK, REALM_KIOSK).orElseThrow(), "other VMs keep the vAMT admin password");
        assertEquals(12L, call(d1(), "SetAdminAclEntryEx", Map.of("Username", "root", "DigestPassword", hex))
                .returnValue());
    }

    @Test
    void badInputGetsAmtReturnCodes() throws Exception {
        String good = DigestMath.md5Hex("x:" + REALM_D1 + ":pw");
        assertEquals(2054L, call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "x", "DigestPassword", "short",
                "AccessPermission", 2L, "Realms", List.of(4L))).returnValue());
        assertEquals(2055L, call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "x", "DigestPassword", good,
                "AccessPermission", 2L, "Realms", List.of(99L))).returnValue());
        assertEquals(12L, call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "a:b", "DigestPassword", good,
                "AccessPermission", 2L, "Realms", List.of(4L))).returnValue());
        assertEquals(2058L, call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "admin", "DigestPassword", good,
                "AccessPermission", 2L, "Realms", List.of(4L))).returnValue());
        assertEquals(36L, call(d1(), "EnumerateUserAclEntries", Map.of("StartIndex", 0L)).returnValue());
        assertEquals(1, users.accounts().size(), "nothing was added");
    }
}
