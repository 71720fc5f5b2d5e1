package org.vamt.accounts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.Account;
import org.vamt.accounts.AccountException;
import org.vamt.security.AmtRealm;
import org.vamt.security.digest.DigestMath;

class UserStoreTest {
    private static final String VM_A = "6f8c1a52-4b1e-4d6a-9a01-000000000001";
    private static final String VM_B = "6f8c1a52-4b1e-4d6a-9a01-000000000002";
    private static final String REALM_A = "Digest:AAAA";
    private static final String REALM_B = "Digest:BBBB";
    @TempDir
    Path etc;

    private UserStore open() throws Exception {
        return UserStore.open(etc.resolve("vamt-users.properties"), "Adm1n-Secret", p -> { });
    }

    @Test
    void generatedAdminPasswordIsAnnouncedOnceAndNeverStoredInPlainText() throws Exception {
        String[] announced = new String[1];
        Path file = etc.resolve("gen.properties");
        UserStore.open(file, null, p -> announced[0] = p);
        assertEquals(16, announced[0].length());
        assertFalse(Files.readString(file).contains(announced[0]));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("gen.key"))));
        String[] again = new String[1];
        UserStore reopened = UserStore.open(file, "ignored-now", p -> again[0] = p);
        assertEquals(null, again[0], "announced only on first start");
        assertEquals(DigestMath.md5Hex("admin:R:" + announced[0]), reopened.ha1("admin", VM_A, "R").orElseThrow());
    }

    @Test
    void aUserGrantedOneVmCannotAuthenticateOnAnother() throws Exception {
        UserStore users = open();
        users.add("operator", "Op3rator!pw".toCharArray(), Set.of(AmtRealm.REMOTE_CONTROL), Set.of(VM_A));
        assertEquals(DigestMath.md5Hex("operator:" + REALM_A + ":Op3rator!pw"),
                users.ha1("operator", VM_A, REALM_A).orElseThrow());
        assertEquals(Optional.empty(), users.ha1("operator", VM_B, REALM_B));
        assertTrue(users.permits("operator", VM_A, AmtRealm.REMOTE_CONTROL));
        assertFalse(users.permits("operator", VM_A, AmtRealm.ACL), "realm not granted");
        assertFalse(users.permits("operator", VM_B, AmtRealm.REMOTE_CONTROL), "VM not granted");
        assertTrue(users.permits("admin", VM_B, AmtRealm.ACL));
        users.grant("operator", VM_B);
        assertTrue(users.ha1("operator", VM_B, REALM_B).isPresent());
        users.setEnabled("operator", false);
        assertEquals(Optional.empty(), users.ha1("operator", VM_A, REALM_A), "disabled users cannot log in");
    }

    @Test
    void everyChangeSurvivesAReopen() throws Exception {
        UserStore users = open();
        Account op = users.add("operator", "Op3rator!pw".toCharArray(), Set.of(4, 5), Set.of(VM_A));
        users.addWithDigest("console", VM_B, REALM_B, "0123456789abcdef0123456789ABCDEF", Set.of(19), 1);
        users.setPassword("admin", "N3w-admin-pw".toCharArray());
        UserStore reopened = open();
        assertEquals(op, reopened.account("operator").orElseThrow());
        assertTrue(reopened.account("console").isEmpty(), "a console's user is no operator account");
        Account console = reopened.resolve(VM_B, "console").orElseThrow();
        assertEquals(VM_B, console.vm());
        assertEquals(Set.of(VM_B), console.machines());
        assertEquals(1, console.accessPermission());
        assertFalse(console.passwordKnown());
        assertEquals("0123456789abcdef0123456789abcdef", reopened.ha1("console", VM_B, REALM_B).orElseThrow());
        assertEquals(Optional.empty(), reopened.ha1("console", VM_B, "Digest:OTHER"),
                "a hash is only good for the realm it was made for");
        assertEquals(DigestMath.md5Hex("admin:R:N3w-admin-pw"), reopened.ha1("admin", VM_A, "R").orElseThrow());
        assertEquals(3, reopened.byHandle(console.handle()).map(Account::handle).orElseThrow());
    }

    @Test
    void theFirstReleasesSingleAdminFileStillOpens() throws Exception {
        Path file = etc.resolve("vamt-users.properties");
        UserStore first = UserStore.open(file, "Adm1n-Secret", p -> { });
        String content = Files.readString(file).replace("admin/password=", "admin=");
        Files.writeString(file, content);
        assertEquals(DigestMath.md5Hex("admin:R:Adm1n-Secret"), open().ha1("admin", VM_A, "R").orElseThrow());
        assertEquals(first.accounts(), open().accounts());
    }

    @Test
    void badChangesAreRefusedWithAReason() throws Exception {
        UserStore users = open();
        assertEquals(AccountException.Reason.INVALID_PASSWORD, assertThrows(AccountException.class,
                () -> users.add("weak", "password".toCharArray(), Set.of(4), Set.of(VM_A))).reason());
        assertEquals(AccountException.Reason.INVALID_NAME, assertThrows(AccountException.class,
                () -> users.add("a:b", "Op3rator!pw".toCharArray(), Set.of(4), Set.of(VM_A))).reason());
        assertEquals(AccountException.Reason.INVALID_REALM, assertThrows(AccountException.class,
                () -> users.add("bob", "Op3rator!pw".toCharArray(), Set.of(99), Set.of(VM_A))).reason());
        assertEquals(AccountException.Reason.DUPLICATE, assertThrows(AccountException.class,
                () -> users.add("admin", "Op3rator!pw".toCharArray(), Set.of(4), Set.of(VM_A))).reason());
        assertEquals(AccountException.Reason.NOT_PERMITTED, assertThrows(AccountException.class,
                () -> users.remove("admin")).reason());
        assertEquals(AccountException.Reason.NOT_FOUND, assertThrows(AccountException.class,
                () -> users.remove("nobody")).reason());
        assertEquals(AccountException.Reason.INVALID_PASSWORD, assertThrows(AccountException.class,
                () -> users.addWithDigest("c", VM_A, REALM_A, "not-hex", Set.of(4), 2)).reason());
        assertEquals(1, users.accounts().size(), "nothing half-added");
    }

    @Test
    void localAccountsHaveANameSpaceAndALimitPerVm() throws Exception {
        UserStore users = open();
        Account onA = users.addWithDigest("helpdesk", VM_A, REALM_A, DigestMath.md5Hex("helpdesk:" + REALM_A + ":a"),
                Set.of(4), 2);
        Account onB = users.addWithDigest("helpdesk", VM_B, REALM_B, DigestMath.md5Hex("helpdesk:" + REALM_B + ":b"),
                Set.of(5), 2);
        assertEquals(DigestMath.md5Hex("helpdesk:" + REALM_A + ":a"), users.ha1("helpdesk", VM_A, REALM_A).orElseThrow());
        assertEquals(DigestMath.md5Hex("helpdesk:" + REALM_B + ":b"), users.ha1("helpdesk", VM_B, REALM_B).orElseThrow());
        assertTrue(users.permits("helpdesk", VM_A, 4) && !users.permits("helpdesk", VM_A, 5));
        assertTrue(users.permits("helpdesk", VM_B, 5) && !users.permits("helpdesk", VM_B, 4));
        assertEquals(List.of(onA), users.entries(VM_A));

        // a VM's local methods reach that VM's local accounts only
        users.add("operator", "Op3rator!pw".toCharArray(), Set.of(5), Set.of(VM_A));
        int op = users.account("operator").orElseThrow().handle();
        assertEquals(AccountException.Reason.NOT_FOUND, assertThrows(AccountException.class,
                () -> users.setLocalEnabled(VM_A, op, false)).reason());
        assertEquals(AccountException.Reason.NOT_FOUND, assertThrows(AccountException.class,
                () -> users.removeLocal(VM_A, onB.handle())).reason());
        assertEquals(AccountException.Reason.NOT_FOUND, assertThrows(AccountException.class,
                () -> users.updateLocal(VM_B, onA.handle(), null, Set.of(3), null, null, null)).reason());
        assertTrue(users.account("operator").orElseThrow().enabled());
        users.setLocalEnabled(VM_A, onA.handle(), false);
        assertTrue(users.ha1("helpdesk", VM_A, REALM_A).isEmpty());
        assertTrue(users.ha1("helpdesk", VM_B, REALM_B).isPresent(), "B's helpdesk is another account");

        // on one VM a name denotes one account: the operator's or the VM's
        assertEquals(AccountException.Reason.DUPLICATE, assertThrows(AccountException.class,
                () -> users.addWithDigest("operator", VM_A, REALM_A, DigestMath.md5Hex("x"), Set.of(4), 2)).reason());
        users.addWithDigest("operator", VM_B, REALM_B, DigestMath.md5Hex("x"), Set.of(4), 2);
        assertEquals(AccountException.Reason.DUPLICATE, assertThrows(AccountException.class,
                () -> users.grant("operator", VM_B)).reason());
        assertEquals(AccountException.Reason.DUPLICATE, assertThrows(AccountException.class,
                () -> users.add("helpdesk", "Op3rator!pw".toCharArray(), Set.of(4), Set.of(Account.ALL_MACHINES)))
                .reason());

        // per-VM limit: a full VM A leaves VM B its own room
        for (int i = users.entries(VM_A).size() - 1; i < UserStore.MAX_LOCAL_PER_VM; i++) {
            users.addWithDigest("a" + i, VM_A, REALM_A, DigestMath.md5Hex("x"), Set.of(4), 2);
        }
        assertEquals(AccountException.Reason.LIMIT_REACHED, assertThrows(AccountException.class,
                () -> users.addWithDigest("last", VM_A, REALM_A, DigestMath.md5Hex("x"), Set.of(4), 2)).reason());
        users.addWithDigest("last", VM_B, REALM_B, DigestMath.md5Hex("x"), Set.of(4), 2);
        assertEquals(users.accounts(), open().accounts(), "all of it survives a reopen");
    }

    @Test
    void theStoreHasAnInstallationWideBound() throws Exception {
        UserStore users = UserStore.open(etc.resolve("vamt-users.properties"), "Adm1n-Secret", p -> { }, 10);
        for (int i = 0; i < 9; i++) {
            users.addWithDigest("u", "vm-" + i, "Digest:" + i, DigestMath.md5Hex("x"), Set.of(4), 2);
        }
        assertEquals(AccountException.Reason.LIMIT_REACHED, assertThrows(AccountException.class,
                () -> users.addWithDigest("u", "vm-9", "Digest:9", DigestMath.md5Hex("x"), Set.of(4), 2)).reason());
        assertEquals(10, users.accounts().size());
    }

    @Test
    void usersFilesOfEarlierReleasesKeepEveryUser() throws Exception {
        Path file = etc.resolve("vamt-users.properties");
        UserStore first = open();
        first.add("operator", "Op3rator!pw".toCharArray(), Set.of(5), Set.of(VM_A));
        String hashA = DigestMath.md5Hex("console:" + REALM_A + ":pw");
        String hashB = DigestMath.md5Hex("wide:" + REALM_B + ":pw");
        // what earlier releases wrote for users a console added (one VM) and one an operator then granted more
        Files.writeString(file, Files.readString(file)
                + "console/digest/" + REALM_A.replace(":", "\\:") + "=" + hashA + "\n"
                + "console/handle=7\nconsole/realms=4,21\nconsole/machines=" + VM_A + "\n"
                + "console/enabled=false\nconsole/access=1\n"
                + "wide/digest/" + REALM_B.replace(":", "\\:") + "=" + hashB + "\n"
                + "wide/handle=8\nwide/realms=4\nwide/machines=" + VM_A + "," + VM_B + "\n");
        UserStore migrated = open();
        Account console = migrated.resolve(VM_A, "console").orElseThrow();
        assertEquals(new Account("console", 7, Set.of(4, 21), Set.of(VM_A), false, 1, false, VM_A), console);
        assertTrue(migrated.account("console").isEmpty());
        Account wide = migrated.account("wide").orElseThrow();
        assertFalse(wide.isLocal(), "granted two VMs: stays an operator account");
        assertEquals(hashB, migrated.ha1("wide", VM_B, REALM_B).orElseThrow());
        assertEquals(first.account("operator"), migrated.account("operator"));
        migrated.setLocalEnabled(VM_A, 7, true);
        assertEquals(hashA, open().ha1("console", VM_A, REALM_A).orElseThrow(), "kept in the new format too");
        assertEquals(migrated.accounts(), open().accounts());
    }
}
