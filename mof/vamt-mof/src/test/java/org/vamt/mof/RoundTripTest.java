package org.vamt.mof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimQualifier;
import org.vamt.cim.schema.CimQualifierType;

/** Compiling printed MOF gives back what was printed: for the test snippets and for the project's MOF files. */
class RoundTripTest {
    /** The project's MOF directory (mof/), where the schema is being written. */
    private static final Path MOF_ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("..")
            .normalize();
    private static final Path SCHEMA = MOF_ROOT.resolve("schema/vamt-schema.mof");

    private static void assertRoundTrip(MofResult result, String sourceName) throws MofException {
        String printed = MofPrinter.print(result);
        MofResult reparsed;
        try {
            reparsed = MofCompiler.compile(printed, "printed " + sourceName, null);
        } catch (MofException e) {
            throw new AssertionError(e.getMessage() + "\n--- printed MOF ---\n" + printed, e);
        }
        assertEquals(result, reparsed, () -> "round trip of " + sourceName + " changed it:\n" + printed);
        assertEquals(printed, MofPrinter.print(reparsed), "printing is canonical");
    }

    @Test
    void sampleSnippet() throws MofException {
        MofResult sample = MofCompiler.compile(TestMof.resource("sample.mof"), "sample.mof", null);
        assertRoundTrip(sample, "sample.mof");
    }

    @Test
    void awkwardValues() throws MofException {
        String longText = "word ".repeat(60) + "a-very-long-token-without-spaces-".repeat(4) + " end";
        CimClassDef c = new CimClassDef("Odd", null,
                List.of(new CimQualifier("Description", longText),
                        new CimQualifier("Controls", "\u0001\u007f\b\f\r\t\n\"\\' \u00e9\u4e2d"),
                        new CimQualifier("Numbers", Arrays.asList(Long.MIN_VALUE, Long.MAX_VALUE, -0.0, 1e300, null,
                                true, false, "")),
                        new CimQualifier("Flag", true), new CimQualifier("Off", false), new CimQualifier("Bare", null),
                        new CimQualifier("Empty", List.of()), new CimQualifier("Real", 4.9e-324)),
                List.of(new CimPropertyDef("P", CimDataType.STRING, null, true,
                        List.of("x".repeat(150), "y"), List.of())),
                List.of(new CimMethodDef("M", CimDataType.SINT8,
                        List.of(new CimParameterDef("R", CimDataType.REFERENCE, "Odd", true,
                                List.of(new CimQualifier("Description", longText)))), List.of())));
        CimQualifierType q = new CimQualifierType("ValueMap", CimDataType.STRING, true, List.of("0", ".."),
                List.of("property", "method"), List.of("EnableOverride"));
        assertRoundTrip(new MofResult(List.of(q), List.of(c)), "awkward values");
    }

    @Test
    void printedFormIsReadable() throws MofException {
        String printed = MofPrinter.print(TestMof.compile(
                "[Association] class A : B { [Key] B REF Ref; uint16 S[] = {1, 2}; uint32 M([In] string N); };"));
        assertEquals("""
                [Association]
                class A : B {
                    [Key]
                    B REF Ref;

                    uint16 S[] = {1, 2};

                    uint32 M(
                        [In] string N);
                };
                """, printed);
    }

    /** Every *.mof of the project (mof/ and the providers' own) must compile and round-trip. */
    @TestFactory
    Stream<DynamicTest> projectMofFiles() throws IOException {
        assertTrue(Files.isDirectory(MOF_ROOT), "no " + MOF_ROOT);
        List<Path> files = new java.util.ArrayList<>();
        for (Path root : List.of(MOF_ROOT, MOF_ROOT.resolve("../bundles").normalize())) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(p -> p.getFileName().toString().toLowerCase().endsWith(".mof"))
                        .filter(Files::isRegularFile)
                        .filter(p -> !root.relativize(p).toString().replace('\\', '/').matches("(.*/)?target/.*"))
                        .sorted()
                        .forEach(files::add);
            }
        }
        return files.stream().map(file -> DynamicTest.dynamicTest(MOF_ROOT.relativize(file).toString(),
                () -> assertRoundTrip(MofCompiler.compile(file), file.toString())));
    }

    /** The whole schema, through its includes, when it has been written. */
    @Test
    void wholeSchema() throws Exception {
        assertTrue(Files.isRegularFile(SCHEMA), "no " + SCHEMA);
        MofResult schema = MofCompiler.compile(SCHEMA);
        assertFalse(schema.classes().isEmpty(), "the schema declares classes");
        assertRoundTrip(schema, SCHEMA.toString());
    }

    @Test
    void projectMofDirectoryIsFound() {
        assertTrue(Files.isDirectory(MOF_ROOT.resolve("vamt-mof")), "basedir/.. is the mof/ directory: " + MOF_ROOT);
    }
}
