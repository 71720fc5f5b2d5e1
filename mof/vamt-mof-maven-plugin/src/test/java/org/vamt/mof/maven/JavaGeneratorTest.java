package org.vamt.mof.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringWriter;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cim.CimInstance;
import org.vamt.cim.TypedInstance;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimSchema;
import org.vamt.mof.MofCompiler;

/** The generated sources compile, and the typed class produces instances the schema describes. */
class JavaGeneratorTest {
    static final String MOF = """
            class Base_Element { [Key] string InstanceID; string ElementName; uint16 States[]; };
            class Test_Widget : Base_Element {
                [Write] boolean Enabled; datetime Since; Base_Element REF Owner; [OctetString] uint8 Nonce[];
                [Override ("ElementName")] string ElementName;
                uint32 Spin([In, Required] uint16 Speed, [In] string Tags[], [In (false), Out] uint32 Turns);
            };
            """;

    @TempDir
    Path dir;

    @Test
    void generatedCodeCompilesAndBuildsSchemaShapedInstances() throws Exception {
        List<CimClassDef> classes = MofCompiler.compile(MOF, "test.mof", null).classes();
        JavaGenerator gen = new JavaGenerator(CimSchema.of(classes), "gen.test");
        Path pkg = Files.createDirectories(dir.resolve("src/gen/test"));
        List<File> sources = new ArrayList<>();
        for (CimClassDef c : classes) {
            for (Map.Entry<String, String> f : gen.generate(c, true).entrySet()) {
                Path p = pkg.resolve(f.getKey());
                Files.writeString(p, f.getValue());
                sources.add(p.toFile());
            }
        }
        assertEquals(4, sources.size(), "a typed class and a skeleton per class");
        Path out = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path")));
        sources.forEach(f -> args.add(f.getPath()));
        int rc = javac.run(null, null, null, args.toArray(String[]::new));
        assertEquals(0, rc, "generated code must compile: " + errors);

        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {out.toUri().toURL()},
                getClass().getClassLoader())) {
            Class<?> widget = loader.loadClass("gen.test.Test_Widget");
            Object w = widget.getConstructor().newInstance();
            widget.getMethod("setElementName", String.class).invoke(w, "spinner");
            widget.getMethod("setInstanceID", String.class).invoke(w, "w1");
            widget.getMethod("setStates", long[].class).invoke(w, (Object) new long[] {2, 3});
            widget.getMethod("setEnabled", Boolean.class).invoke(w, true);
            CimInstance i = ((TypedInstance) w).toInstance();
            assertEquals(List.of("InstanceID", "ElementName", "States", "Enabled"), List.copyOf(i.properties().keySet()),
                    "schema order, inherited first, override in place");
            assertEquals(List.of("InstanceID"), List.copyOf(i.keyNames()));
            assertEquals(List.of(2L, 3L), i.get("States"));
            String skeleton = Files.readString(pkg.resolve("Test_WidgetProviderSkeleton.java"));
            assertTrue(skeleton.contains("protected MethodResult Spin(RequestContext ctx, CimObjectPath target, Long Speed, "
                    + "List<String> Tags)"), skeleton);
        }
    }
}
