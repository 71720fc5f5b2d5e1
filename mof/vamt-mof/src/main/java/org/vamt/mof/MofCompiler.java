package org.vamt.mof;

import java.io.IOException;
import java.nio.file.Path;
import org.vamt.mof.internal.Compilation;
import org.vamt.mof.internal.FileIncludeResolver;

/**
 * Compiles MOF (DMTF DSP0221) into the {@code org.vamt.cim.schema} model: qualifier declarations and
 * class declarations. Instance declarations, aliases and the DSP0221 v3 structure/enumeration forms are
 * not supported.
 */
public final class MofCompiler {
    private MofCompiler() {
    }

    /** Compiles a file; {@code #pragma include} paths are relative to the including file's directory. */
    public static MofResult compile(Path file) throws MofException, IOException {
        Path normalized = file.normalize();
        return compile(FileIncludeResolver.read(normalized), normalized.toString(), new FileIncludeResolver());
    }

    /**
     * Compiles MOF text.
     *
     * @param sourceName names the text in error messages, and is passed to the resolver as the includer
     * @param resolver   supplies included files; null makes any {@code #pragma include} an error
     */
    public static MofResult compile(String text, String sourceName, IncludeResolver resolver) throws MofException {
        return new Compilation(resolver).compile(sourceName, text);
    }
}
