package org.vamt.provider.authorization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.vamt.accounts.Account;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
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

    /** AMT's property, true to vamt-security: only Digest answers with qop=auth are accepted. */
    @Test
    void allowsOnlyQopAuthAsAmtSays() throws Exception {
        org.vamt.cim.CimInstance s = provider.enumerateInstances(d1(), "AMT_AuthorizationService").get(0);
        assertEquals(1L, s.get("AllowHttpQopAuthOnly"));
        assertFalse(s.properties().containsKey("AllowHttpQueryCredentials"), "in no AMT answer");
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
        assertEquals(Set.of(4, 19), users.resolve(DESKTOP_01, "ops").orElseThrow().realms());
        assertEquals(DigestMath.md5Hex("ops:" + REALM_D1 + ":N3w!Pass"), users.ha1("ops", DESKTOP_01, REALM_D1)
                .orElseThrow());
        assertEquals(0, call(d1(), "SetAclEnabledState", Map.of("Handle", handle, "Enabled", false)).returnValue());
        assertEquals(false, call(d1(), "GetAclEnabledState", Map.of("Handle", handle)).outputs().get("Enabled"));
        assertFalse(users.ha1("ops", DESKTOP_01, REALM_D1).isPresent());
        assertEquals(0, call(d1(), "RemoveUserAclEntry", Map.of("Handle", handle)).returnValue());
        assertTrue(users.resolve(DESKTOP_01, "ops").isEmpty());
        assertEquals(2053L, call(d1(), "RemoveUserAclEntry", Map.of("Handle", handle)).returnValue());
    }

    @Test
    void operatorAccountsAreListedButNotChangedThroughAVm() throws Exception {
        users.add("operator", "Op3rator!pw".toCharArray(), Set.of(5), Set.of(DESKTOP_01, KIOSK));
        long handle = users.account("operator").orElseThrow().handle();
        assertEquals(List.of(handle), call(d1(), "EnumerateUserAclEntries", Map.of("StartIndex", 1L)).outputs()
                .get("Handles"));
        assertEquals("operator", call(d1(), "GetUserAclEntryEx", Map.of("Handle", handle)).outputs()
                .get("DigestUsername"));
        for (var change : List.of(
                Map.entry("RemoveUserAclEntry", Map.<String, Object>of("Handle", handle)),
                Map.entry("SetAclEnabledState", Map.<String, Object>of("Handle", handle, "Enabled", false)),
                Map.entry("UpdateUserAclEntryEx", Map.<String, Object>of("Handle", handle, "Realms", List.of(5L)))))
        {
            CimException e = assertThrows(CimException.class, () -> call(d1(), change.getKey(), change.getValue()),
                    "even the admin changes operator accounts from the shell only: " + change.getKey());
            assertEquals(CimStatus.ACCESS_DENIED, e.status());
        }
        assertEquals(new Account("operator", (int) handle, Set.of(5), Set.of(DESKTOP_01, KIOSK), true, 2, true),
                users.account("operator").orElseThrow());
    }

    private static RequestContext d1As(String user) {
        return new RequestContext(DESKTOP_01, "desktop-01", user, REALM_D1);
    }

    private long addOnD1(RequestContext as, String name, long... realms) throws Exception {
        MethodResult r = call(as, "AddUserAclEntryEx", Map.of("DigestUsername", name,
                "DigestPassword", DigestMath.md5Hex(name + ":" + REALM_D1 + ":Pa55!word"), "AccessPermission", 2L,
                "Realms", java.util.Arrays.stream(realms).boxed().toList()));
        assertEquals(0, r.returnValue(), name);
        return (Long) r.outputs().get("Handle");
    }

    private void assertDenied(RequestContext as, String method, Map<String, Object> args) {
        CimException e = assertThrows(CimException.class, () -> call(as, method, args), method + " " + args);
        assertEquals(CimStatus.ACCESS_DENIED, e.status(), method);
    }

    @Test
    void anAclUserManagesLesserEntriesOfItsVmOnly() throws Exception {
        long aclHandle = addOnD1(d1(), "acl", 21, 4);
        long viewer = addOnD1(d1As("acl"), "viewer", 4);
        long power = addOnD1(d1(), "power", 5);
        assertDenied(d1As("acl"), "AddUserAclEntryEx", Map.of("DigestUsername", "boss", "DigestPassword",
                DigestMath.md5Hex("boss:" + REALM_D1 + ":x"), "AccessPermission", 2L, "Realms", List.of(3L)));
        assertDenied(d1As("acl"), "UpdateUserAclEntryEx", Map.of("Handle", aclHandle, "Realms", List.of(21L, 4L, 5L)));
        assertDenied(d1As("acl"), "UpdateUserAclEntryEx", Map.of("Handle", viewer, "Realms", List.of(4L, 5L)));
        assertDenied(d1As("acl"), "RemoveUserAclEntry", Map.of("Handle", power));
        assertDenied(d1As("acl"), "SetAclEnabledState", Map.of("Handle", power, "Enabled", false));
        assertDenied(d1As("acl"), "SetAdminAclEntryEx", Map.of("Username", "admin", "DigestPassword",
                DigestMath.md5Hex("admin:" + REALM_D1 + ":Mine!123")));
        assertEquals(Set.of(21, 4), users.resolve(DESKTOP_01, "acl").orElseThrow().realms());

        // what it may do: its own password, lesser entries of its VM
        String newHash = DigestMath.md5Hex("acl:" + REALM_D1 + ":N3w!pass");
        assertEquals(0, call(d1As("acl"), "UpdateUserAclEntryEx", Map.of("Handle", aclHandle, "DigestUsername", "acl",
                "DigestPassword", newHash, "Realms", List.of(21L, 4L))).returnValue());
        assertEquals(newHash, users.ha1("acl", DESKTOP_01, REALM_D1).orElseThrow());
        assertEquals(0, call(d1As("acl"), "SetAclEnabledState", Map.of("Handle", viewer, "Enabled", false))
                .returnValue());
        assertEquals(0, call(d1As("acl"), "UpdateUserAclEntryEx", Map.of("Handle", viewer, "DigestUsername",
                "viewer2", "DigestPassword", DigestMath.md5Hex("viewer2:" + REALM_D1 + ":x"), "Realms", List.of(4L)))
                .returnValue(), "a local entry may be renamed with a new password");
        assertEquals("viewer2", users.byHandle((int) viewer).orElseThrow().name());
        assertEquals(0, call(d1As("acl"), "RemoveUserAclEntry", Map.of("Handle", viewer)).returnValue());

        // the kiosk's ACL is another device's: its entries are not handles here, its names are free
        long kioskUser = (Long) call(kiosk(), "AddUserAclEntryEx", Map.of("DigestUsername", "power",
                "DigestPassword", DigestMath.md5Hex("power:" + REALM_KIOSK + ":x"), "AccessPermission", 2L,
                "Realms", List.of(4L))).outputs().get("Handle");
        assertEquals(2053L, call(d1As("acl"), "RemoveUserAclEntry", Map.of("Handle", kioskUser)).returnValue());
        assertEquals(2053L, call(d1(), "SetAclEnabledState", Map.of("Handle", kioskUser, "Enabled", false))
                .returnValue());
        assertTrue(users.resolve(KIOSK, "power").orElseThrow().enabled());
    }

    @Test
    void eachVmHasItsOwnLimit() throws Exception {
        for (int i = 0; i < 32; i++) {
            addOnD1(d1(), "u" + i, 4);
        }
        assertEquals(23L, call(d1(), "AddUserAclEntryEx", Map.of("DigestUsername", "one-more", "DigestPassword",
                DigestMath.md5Hex("x"), "AccessPermission", 2L, "Realms", List.of(4L))).returnValue());
        assertEquals(0, call(kiosk(), "AddUserAclEntryEx", Map.of("DigestUsername", "u0", "DigestPassword",
                DigestMath.md5Hex("x"), "AccessPermission", 2L, "Realms", List.of(4L))).returnValue(),
                "a full desktop-01 takes neither a slot nor a name from the kiosk");
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
