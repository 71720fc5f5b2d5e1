package org.vamt.security.files;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Replaces files the way a database would: the new content goes to a temporary file beside the
 * target (mode 600), is forced to disk, renamed over the target in one step, and the directory
 * entry is forced to disk too. Without the two forces a crash shortly after a rename can leave
 * an empty or partly written file under the target name on common file systems (ext4's delayed
 * allocation, XFS). Every file vAMT writes holds something private (secrets, sealed secrets,
 * user names, addresses), so every file is made readable and writable by its owner only.
 */
public final class DurableFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final boolean WINDOWS = java.io.File.separatorChar == '\\';

    private DurableFiles() {
    }

    /** What goes into the file; the stream must not be closed by the writer (closing is harmless). */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces {@code file} with {@code bytes}: durable, atomic, owner-only. */
    public static void replace(Path file, byte[] bytes) throws IOException {
        replace(file, out -> out.write(bytes));
    }

    /**
     * Replaces {@code file} with what {@code content} writes: durable, atomic, owner-only. The
     * parent directories are created when missing. Callers serialise writers of one file.
     */
    public static void replace(Path file, Content content) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            try (FileChannel ch = createOwnerOnly(tmp)) {
                OutputStream out = new FilterOutputStream(Channels.newOutputStream(ch)) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        this.out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        flush();   // the channel is closed below, after the force
                    }
                };
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        syncDirectory(dir);
    }

    /** Forces a file's content to disk (e.g. before linking it under its final name). */
    public static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /**
     * Forces a directory's entries (a rename, a new link) to disk. A no-op where the platform
     * cannot open a directory (Windows, whose renames are durable by themselves).
     */
    public static void syncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Makes a file readable and writable by its owner only (where the file system knows POSIX modes). */
    public static void restrictToOwner(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system; nothing more we can do
        }
    }

    /** Creates a new, empty file readable by its owner only, before anything is written to it. */
    public static FileChannel createOwnerOnly(Path file) throws IOException {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
        try {
            FileChannel ch = FileChannel.open(file, options, mode);
            restrictToOwner(file);   // the umask may have taken bits away, never added: this is exact
            return ch;
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(file, options);   // not a POSIX file system
        }
    }
}
