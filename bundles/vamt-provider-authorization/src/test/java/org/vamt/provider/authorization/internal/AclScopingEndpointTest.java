package org.vamt.provider.authorization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.Account;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.AmtRealm;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.wsman.internal.WsmanService;

/**
 * Issue 17, defect 1, over the real stack: a real CXF/Jetty socket, the door with Digest, the real
 * CIMOM with the provider's realm rule, the real users file and the libvirt test driver. VM A
 * (desktop-01) answers at 127.0.0.2, VM B (kiosk) at 127.0.0.3, on a port the system picks.
 *
 * <p>A user holding only the ACL realm on A gets {@code wsman:AccessDenied} for every change outside
 * A's own lesser entries, and what it may do still works.
 */
class AclScopingEndpointTest {
    private static final String ADMIN_PASSWORD = "Adm1n-Secret";
    private static final String SERVICE = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_AuthorizationService";
    private static final String REALM_A = "Digest:" + DESKTOP_01.replace("-", "").toUpperCase(java.util.Locale.ROOT);
    private static final String REALM_B = "Digest:" + KIOSK.replace("-", "").toUpperCase(java.util.Locale.ROOT);

    @TempDir
    Path etc;
    DemoHypervisor demo;
    UserStore users;
    TestTransport transport;
    String urlA;
    String urlB;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        users = UserStore.open(etc.resolve("vamt-users.properties"), ADMIN_PASSWORD, p -> { });
        CimObjectManager cimom = new TestCimom()
                .serve(new AuthorizationProvider(demo.hypervisor(), users), "AMT_AuthorizationService")
                .realm("AMT_AuthorizationService", String.valueOf(AmtRealm.ACL))
                .access(users::permits).manager();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        transport = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, e -> { }), 65536, 4, 2_000, 10_000)
                .machine(DESKTOP_01, "desktop-01").machine(KIOSK, "kiosk")
                .serve(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class,
                        Map.of("enumerationIdleSeconds", 60L, "maxEnumerationsPerUser", 4))), "/wsman")
                .listen(port);
        urlA = "http://127.0.0.2:" + port + "/wsman";
        urlB = "http://127.0.0.3:" + port + "/wsman";
    }

    @AfterEach
    void stop() {
        transport.close();
        demo.close();
    }

    // ------------------------------------------------------------------ the wire

    static String invoke(String method, String args) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + SERVICE + "/" + method + "</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + SERVICE + "</w:ResourceURI><a:MessageID>1</a:MessageID>"
                + "</s:Header><s:Body><r:" + method + "_INPUT xmlns:r=\"" + SERVICE + "\">" + args
                + "</r:" + method + "_INPUT></s:Body></s:Envelope>";
    }

    static String add(String name, String realm, String password, int... realms) {
        StringBuilder r = new StringBuilder("<r:DigestUsername>" + name + "</r:DigestUsername><r:DigestPassword>"
                + DigestMath.ha1(name, realm, password) + "</r:DigestPassword><r:AccessPermission>2</r:AccessPermission>");
        for (int x : realms) {
            r.append("<r:Realms>").append(x).append("</r:Realms>");
        }
        return r.toString();
    }

    static String realms(int... realms) {
        StringBuilder r = new StringBuilder();
        for (int x : realms) {
            r.append("<r:Realms>").append(x).append("</r:Realms>");
        }
        return r.toString();
    }

    static String value(String xml, String element) {
        Matcher m = Pattern.compile("<[a-z]:" + element + ">([^<]*)</[a-z]:" + element + ">").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    /** Calls a method and expects ReturnValue {@code code}; returns the body. */
    static String ok(DigestClient c, String method, String args, long code) throws Exception {
        HttpResponse<String> r = c.post(invoke(method, args));
        assertEquals(200, r.statusCode(), method + ": " + r.body());
        assertEquals(String.valueOf(code), value(r.body(), "ReturnValue"), method + ": " + r.body());
        return r.body();
    }

    static long added(DigestClient c, String args) throws Exception {
        return Long.parseLong(value(ok(c, "AddUserAclEntryEx", args, 0), "Handle"));
    }

    static void denied(DigestClient c, String method, String args, String why) throws Exception {
        HttpResponse<String> r = c.post(invoke(method, args));
        assertEquals(400, r.statusCode(), why + ": " + r.body());
        assertTrue(r.body().contains("AccessDenied"), why + ": " + r.body());
    }

    // ------------------------------------------------------------------ the test

    @Test
    void anAclOnlyUserOnVmAManagesVmAsLesserEntriesAndNothingElse() throws Exception {
        // operator accounts (the shell): one spanning A and B, one on every VM
        Account ops = users.add("ops", "0ps!Passw0rd".toCharArray(), Set.of(AmtRealm.REMOTE_CONTROL),
                Set.of(DESKTOP_01, KIOSK));
        Account everyone = users.add("everyone", "Ev3ry!one".toCharArray(), Set.of(AmtRealm.HARDWARE_ASSET),
                Set.of(Account.ALL_MACHINES));
        DigestClient adminA = new DigestClient(urlA, "admin", ADMIN_PASSWORD);
        DigestClient adminB = new DigestClient(urlB, "admin", ADMIN_PASSWORD);
        long acl = added(adminA, add("acl", REALM_A, "Acl!Passw0rd", AmtRealm.ACL));
        long power = added(adminA, add("power", REALM_A, "P0wer!pass", AmtRealm.REMOTE_CONTROL));
        long bob = added(adminB, add("bob", REALM_B, "B0b!passw", AmtRealm.HARDWARE_ASSET));
        DigestClient aclA = new DigestClient(urlA, "acl", "Acl!Passw0rd");

        // ---- outside A's lesser entries: access denied
        denied(aclA, "UpdateUserAclEntryEx", "<r:Handle>" + ops.handle() + "</r:Handle><r:AccessPermission>2</r:AccessPermission>" + realms(AmtRealm.ACL,
                AmtRealm.REMOTE_CONTROL), "an operator account spanning A and B");
        denied(aclA, "RemoveUserAclEntry", "<r:Handle>" + ops.handle() + "</r:Handle>", "removing an operator account");
        denied(aclA, "SetAclEnabledState", "<r:Handle>" + everyone.handle() + "</r:Handle><r:Enabled>false</r:Enabled>",
                "disabling a user of every VM");
        denied(aclA, "UpdateUserAclEntryEx", "<r:Handle>" + acl + "</r:Handle><r:AccessPermission>2</r:AccessPermission>" + realms(AmtRealm.ACL,
                AmtRealm.PT_ADMINISTRATION, AmtRealm.REMOTE_CONTROL), "raising its own realms");
        denied(aclA, "AddUserAclEntryEx", add("helper", REALM_A, "H3lper!pw", AmtRealm.ACL, AmtRealm.REMOTE_CONTROL),
                "granting a realm it lacks");
        denied(aclA, "SetAclEnabledState", "<r:Handle>" + power + "</r:Handle><r:Enabled>false</r:Enabled>",
                "disabling an entry holding a realm above its own");
        denied(aclA, "RemoveUserAclEntry", "<r:Handle>" + power + "</r:Handle>", "removing such an entry");
        denied(aclA, "SetAdminAclEntryEx", "<r:Username>admin</r:Username><r:DigestPassword>"
                + DigestMath.ha1("admin", REALM_A, "Mine!Now1") + "</r:DigestPassword>", "the admin's password");
        // VM B's entries are no entries of A (an unknown handle, as on any AMT), and B's endpoint is closed to it
        ok(aclA, "SetAclEnabledState", "<r:Handle>" + bob + "</r:Handle><r:Enabled>false</r:Enabled>", 2053);
        ok(aclA, "RemoveUserAclEntry", "<r:Handle>" + bob + "</r:Handle>", 2053);
        assertEquals(401, new DigestClient(urlB, "acl", "Acl!Passw0rd").post(invoke("EnumerateUserAclEntries",
                "<r:StartIndex>1</r:StartIndex>")).statusCode());

        // nothing of it happened
        assertEquals(ops, users.account("ops").orElseThrow());
        assertEquals(everyone, users.account("everyone").orElseThrow());
        assertEquals(Set.of(AmtRealm.ACL), users.resolve(DESKTOP_01, "acl").orElseThrow().realms());
        assertTrue(users.resolve(DESKTOP_01, "power").orElseThrow().enabled());
        assertTrue(users.resolve(KIOSK, "bob").orElseThrow().enabled());
        assertEquals(200, new DigestClient(urlA, "admin", ADMIN_PASSWORD).post(invoke("GetAdminAclEntry", ""))
                .statusCode(), "the admin password of A is unchanged");

        // ---- A's own lesser entries: allowed, and they work
        long deputy = added(aclA, add("deputy", REALM_A, "D3puty!pw", AmtRealm.ACL));
        DigestClient deputyA = new DigestClient(urlA, "deputy", "D3puty!pw");
        String listed = ok(deputyA, "EnumerateUserAclEntries", "<r:StartIndex>1</r:StartIndex>", 0);
        assertTrue(listed.contains(">" + ops.handle() + "<") && listed.contains(">" + deputy + "<")
                && !listed.contains(">" + bob + "<"), "A's ACL lists A's entries and the operator accounts: " + listed);
        assertEquals(401, new DigestClient(urlB, "deputy", "D3puty!pw").post(invoke("GetAdminAclEntry", ""))
                .statusCode(), "A's user does not exist on B");
        ok(aclA, "UpdateUserAclEntryEx", "<r:Handle>" + deputy + "</r:Handle><r:AccessPermission>2</r:AccessPermission><r:DigestUsername>deputy</r:DigestUsername>"
                + "<r:DigestPassword>" + DigestMath.ha1("deputy", REALM_A, "N3w!deputy") + "</r:DigestPassword>"
                + realms(AmtRealm.ACL), 0);
        assertEquals(200, new DigestClient(urlA, "deputy", "N3w!deputy").post(invoke("GetAdminAclEntry", ""))
                .statusCode());
        ok(aclA, "SetAclEnabledState", "<r:Handle>" + deputy + "</r:Handle><r:Enabled>false</r:Enabled>", 0);
        assertEquals(401, new DigestClient(urlA, "deputy", "N3w!deputy").post(invoke("GetAdminAclEntry", ""))
                .statusCode(), "disabled");
        ok(aclA, "RemoveUserAclEntry", "<r:Handle>" + deputy + "</r:Handle>", 0);
        ok(aclA, "UpdateUserAclEntryEx", "<r:Handle>" + acl + "</r:Handle><r:AccessPermission>2</r:AccessPermission><r:DigestUsername>acl</r:DigestUsername>"
                + "<r:DigestPassword>" + DigestMath.ha1("acl", REALM_A, "0wn!Passw0rd") + "</r:DigestPassword>"
                + realms(AmtRealm.ACL), 0);
        aclA = new DigestClient(urlA, "acl", "0wn!Passw0rd");

        // ---- limits: filling A's ACL leaves B's room and names alone
        List<Long> mine = new ArrayList<>();
        for (int i = users.entries(DESKTOP_01).size() - 2; i < 32; i++) { // two entries are operator accounts
            mine.add(added(aclA, add("squat" + i, REALM_A, "Squ4t!pw", AmtRealm.ACL)));
        }
        ok(aclA, "AddUserAclEntryEx", add("one-more", REALM_A, "0ne!more", AmtRealm.ACL), 23);
        added(adminB, add("squat5", REALM_B, "B!own-user1", AmtRealm.HARDWARE_ASSET));
        added(adminB, add("one-more", REALM_B, "B!own-user2", AmtRealm.HARDWARE_ASSET));
        assertEquals(400, new DigestClient(urlB, "squat5", "B!own-user1").post(invoke("GetAdminAclEntry", ""))
                .statusCode(), "B's own squat5 logs in on B (and lacks the ACL realm there: 400, not 401)");
        assertFalse(users.resolve(KIOSK, "squat5").orElseThrow().realms().contains(AmtRealm.ACL));
        assertEquals(32, users.entries(DESKTOP_01).stream().filter(Account::isLocal).count(), "A's ACL is full");
        assertEquals(30, mine.size());
    }
}
