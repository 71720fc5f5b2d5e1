package org.vamt.mof;

import java.io.IOException;

/** Supplies the text of files named by {@code #pragma include}. */
public interface IncludeResolver {

    /**
     * Text of an included file.
     *
     * @param path the path as written in the pragma
     * @param from the source name of the including file
     * @return the included file, or null when there is no such file (as is throwing
     *         {@link java.nio.file.NoSuchFileException} or {@link java.io.FileNotFoundException});
     *         its source name identifies it in error messages and in include-cycle detection
     */
    Included resolve(String path, String from) throws IOException;

    record Included(String sourceName, String text) {
    }
}
