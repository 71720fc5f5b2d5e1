package org.vamt.security.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {
    @TempDir
    Path root;

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void replacesAWorldReadableFileWithAnOwnerOnlyOneAndLeavesNoTemporaryFile() throws Exception {
        Path dir = Files.createDirectory(root.resolve("etc"));
        Path f = dir.resolve("users.properties");
        Files.writeString(f, "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));

        DurableFiles.replace(f, "new".getBytes(StandardCharsets.US_ASCII));

        assertEquals("new", Files.readString(f));
        assertEquals("rw-------", mode(f));
        assertEquals(List.of("users.properties"), names(dir));
    }

    @Test
    void aWriterThatFailsLeavesTheOldContentAndNoTemporaryFile() throws Exception {
        Path dir = Files.createDirectory(root.resolve("data"));
        Path f = dir.resolve("audit.log");
        DurableFiles.replace(f, "record 1\n".getBytes(StandardCharsets.US_ASCII));
        IOException failure = assertThrows(IOException.class, () -> DurableFiles.replace(f, out -> {
            out.write("half a rec".getBytes(StandardCharsets.US_ASCII));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", failure.getMessage());
        assertEquals("record 1\n", Files.readString(f));
        assertEquals(List.of("audit.log"), names(dir));
    }

    @Test
    void aStaleTemporaryFileFromACrashIsReplacedNotReused() throws Exception {
        Path dir = Files.createDirectory(root.resolve("stale"));
        Path f = dir.resolve("vamt-tls.p12");
        Path stale = dir.resolve("vamt-tls.p12.tmp");
        Files.writeString(stale, "garbage left by a crash, world-readable");
        Files.setPosixFilePermissions(stale, PosixFilePermissions.fromString("rw-rw-rw-"));

        byte[] content = new byte[100_000];
        new java.util.Random(17).nextBytes(content);
        DurableFiles.replace(f, out -> {
            out.write(content, 0, 50_000);
            out.write(content, 50_000, 50_000);
            out.close();   // a writer that closes (KeyStore.store does not, Properties.store does not) is harmless
        });

        assertArrayEquals(content, Files.readAllBytes(f));
        assertEquals("rw-------", mode(f));
        assertEquals(List.of("vamt-tls.p12"), names(dir));
    }

    @Test
    void createsMissingParentDirectoriesAndSyncsThem() throws Exception {
        Path f = root.resolve("a/b/c.properties");
        DurableFiles.replace(f, "x".getBytes(StandardCharsets.US_ASCII));
        assertEquals("x", Files.readString(f));
        DurableFiles.syncDirectory(f.getParent());   // a directory can be forced on this platform
        DurableFiles.force(f);
        assertTrue(Files.isRegularFile(f));
    }

    @Test
    void createOwnerOnlyIsExactWhateverTheUmaskAndRefusesAnExistingFile() throws Exception {
        Path f = root.resolve("key");
        DurableFiles.createOwnerOnly(f).close();
        assertEquals("rw-------", mode(f));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> DurableFiles.createOwnerOnly(f).close(),
                "an existing file is never reused for a secret");
    }
}
