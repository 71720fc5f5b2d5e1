package org.vamt.mof.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.vamt.mof.IncludeResolver;

/**
 * Resolves includes against the file system, relative to the including file's directory. Source names
 * are normalized paths, so one file reached by two spellings is still recognized in an include cycle.
 */
public final class FileIncludeResolver implements IncludeResolver {

    @Override
    public Included resolve(String path, String from) throws IOException {
        Path file;
        try {
            Path directory = Path.of(from).getParent();
            file = (directory == null ? Path.of(path) : directory.resolve(path)).normalize();
        } catch (InvalidPathException e) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            return null;
        }
        return new Included(file.toString(), read(file));
    }

    /** The text of a MOF file: UTF-8 (DSP0221's default), or UTF-16 when it starts with a UTF-16 byte order mark. */
    public static String read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        boolean utf16 = bytes.length >= 2 && ((bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
                || (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE));
        return new String(bytes, utf16 ? StandardCharsets.UTF_16 : StandardCharsets.UTF_8);
    }
}
