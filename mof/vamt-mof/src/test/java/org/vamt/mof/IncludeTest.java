package org.vamt.mof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cim.schema.CimClassDef;

class IncludeTest {
    @TempDir
    Path dir;

    private Path write(String relative, String text) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private static List<String> classNames(MofResult result) {
        return result.classes().stream().map(CimClassDef::name).toList();
    }

    @Test
    void includesAreRelativeToTheIncludingFileAndCompiledInPlace() throws Exception {
        Path top = write("schema.mof", """
                class First {};
                #pragma include ("core/Core.mof")
                class Last : Nested {};
                """);
        write("core/Core.mof", """
                Qualifier Key : boolean = false, Scope(property), Flavor(DisableOverride);
                #pragma include ("sub/Nested.mof")
                class Core {};
                """);
        write("core/sub/Nested.mof", "class Nested : Core { [Key] string Id; };");
        MofResult result = MofCompiler.compile(top);
        assertEquals(List.of("First", "Nested", "Core", "Last"), classNames(result));
        assertEquals("Key", result.qualifierTypes().get(0).name());
    }

    @Test
    void includeNotFound() throws Exception {
        Path top = write("schema.mof", "class A {};\n  #pragma include (\"missing.mof\")\n");
        MofException e = assertThrows(MofException.class, () -> MofCompiler.compile(top));
        assertEquals(top.toString(), e.source());
        assertEquals(2, e.line());
        assertEquals(20, e.column());
        assertEquals("included file \"missing.mof\" not found", e.problem());
    }

    @Test
    void errorsInIncludedFilesNameThatFile() throws Exception {
        Path top = write("schema.mof", "#pragma include (\"bad.mof\")\n");
        Path bad = write("bad.mof", "class A {\n  strng X;\n};\n");
        MofException e = assertThrows(MofException.class, () -> MofCompiler.compile(top));
        assertEquals(bad + ":2:3: unknown type 'strng'", e.getMessage());
    }

    @Test
    void duplicateClassAcrossIncludedFiles() throws Exception {
        Path top = write("schema.mof", "#pragma include (\"a.mof\")\n#pragma include (\"b.mof\")\n");
        Path a = write("a.mof", "class A {};");
        Path b = write("b.mof", "\n class A {};");
        MofException e = assertThrows(MofException.class, () -> MofCompiler.compile(top));
        assertEquals(b + ":2:8: duplicate class 'A' (first declared at " + a + ":1:7)", e.getMessage());
    }

    @Test
    void includeCycle() throws Exception {
        Path top = write("a.mof", "class A {};\n#pragma include (\"dir/b.mof\")\n");
        Path b = write("dir/b.mof", "class B {};\n#pragma include (\"../a.mof\")\n");
        MofException e = assertThrows(MofException.class, () -> MofCompiler.compile(top));
        assertEquals(b.toString(), e.source());
        assertEquals(2, e.line());
        assertEquals(18, e.column());
        assertEquals("include cycle: " + top + " -> " + b + " -> " + top, e.problem());
    }

    @Test
    void selfInclusionIsACycle() throws Exception {
        Path top = write("self.mof", "#pragma include (\"./self.mof\")");
        MofException e = assertThrows(MofException.class, () -> MofCompiler.compile(top));
        assertEquals("include cycle: " + top + " -> " + top, e.problem());
    }

    @Test
    void customResolverReceivesPathAndIncluder() throws Exception {
        Map<String, String> files = Map.of("lib.mof", "class Lib {};");
        IncludeResolver resolver = (path, from) -> {
            assertEquals("main", from);
            String text = files.get(path);
            return text == null ? null : new IncludeResolver.Included("mem:" + path, text);
        };
        MofResult result = MofCompiler.compile("#pragma include (\"lib\" \".mof\")\nclass Main : Lib {};", "main",
                resolver);
        assertEquals(List.of("Lib", "Main"), classNames(result));

        MofException e = assertThrows(MofException.class,
                () -> MofCompiler.compile("#pragma include (\"nope.mof\")", "main", resolver));
        assertEquals("main:1:18: included file \"nope.mof\" not found", e.getMessage());
    }

    @Test
    void resolverFailureIsReportedAtThePragma() {
        IncludeResolver failing = (path, from) -> {
            throw new IOException("disk on fire");
        };
        MofException e = assertThrows(MofException.class,
                () -> MofCompiler.compile("\n#pragma include (\"x.mof\")", "main", failing));
        assertEquals("main:2:18: cannot read included file \"x.mof\": disk on fire", e.getMessage());
    }

    @Test
    void otherPragmasAreIgnored() throws Exception {
        MofResult result = TestMof.compile("#pragma locale (\"en_US\")\n#PRAGMA namespace (\"root/cimv2\")\n"
                + "#pragma classflags (\"update\", \"safe\")\nclass A {};");
        assertEquals(List.of("A"), classNames(result));
    }

    @Test
    void utf16FileWithByteOrderMark() throws Exception {
        Path file = dir.resolve("utf16.mof");
        Files.write(file, "\uFEFF[Description(\"\u00e9t\u00e9\")] class A {};".getBytes("UTF-16LE"));
        assertEquals("\u00e9t\u00e9", MofCompiler.compile(file).classes().get(0).text("Description").orElseThrow());
    }
}
