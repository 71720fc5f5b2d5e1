package org.vamt.mof;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Shared helpers for the tests. */
final class TestMof {
    private TestMof() {
    }

    static String resource(String name) {
        try (InputStream in = TestMof.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MofResult compile(String text) throws MofException {
        return MofCompiler.compile(text, "test.mof", null);
    }
}
