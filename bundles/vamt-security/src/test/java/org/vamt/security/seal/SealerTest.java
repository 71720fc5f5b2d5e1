package org.vamt.security.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealerTest {
    @Test
    void sealsWithAKeyFileMadeOnFirstUseMode600(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("etc/vamt-test.key");
        Sealer s = Sealer.open(keyFile);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        String sealed = s.seal("Passw0rd!", "vm-1/rfb");
        assertTrue(Sealer.isSealed(sealed), sealed);
        assertFalse(sealed.contains("Passw0rd"), sealed);
        assertNotEquals(sealed, s.seal("Passw0rd!", "vm-1/rfb"));   // a fresh IV each time
        assertEquals("Passw0rd!", s.unseal(sealed, "vm-1/rfb"));
        // the same key file opens it later (a restart)
        assertEquals("Passw0rd!", Sealer.open(keyFile).unseal(sealed, "vm-1/rfb"));
        // another context, another key, altered text: refused
        assertThrows(GeneralSecurityException.class, () -> s.unseal(sealed, "vm-2/rfb"));
        assertThrows(GeneralSecurityException.class, () -> Sealer.open(dir.resolve("other.key")).unseal(sealed, "vm-1/rfb"));
        String altered = sealed.substring(0, sealed.length() - 3) + (sealed.endsWith("AAA") ? "BBB" : "AAA");
        assertThrows(GeneralSecurityException.class, () -> s.unseal(altered, "vm-1/rfb"));
        assertThrows(GeneralSecurityException.class, () -> s.unseal("Passw0rd!", "vm-1/rfb"));
        assertThrows(GeneralSecurityException.class, () -> s.unseal("aesgcm:!!:!!", "vm-1/rfb"));
    }

    @Test
    void aBadKeyFileIsAClearError(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("short.key");
        Files.writeString(keyFile, "c2hvcnQ=\n");
        assertTrue(assertThrows(java.io.IOException.class, () -> Sealer.open(keyFile)).getMessage()
                .contains("256-bit"));
    }
}
