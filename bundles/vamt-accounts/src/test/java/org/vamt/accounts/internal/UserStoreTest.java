package org.vamt.accounts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
        Account console = reopened.account("console").orElseThrow();
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
}
