package org.vamt.cimom.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.mof.MofCompiler;

/**
 * The real CIMOM outside OSGi, for tests of other modules (published in this module's test-jar):
 * a schema compiled from MOF, as the bundle tracker would load it, and providers bound as
 * Declarative Services would bind them.
 */
public final class TestCimom {
    private final CimObjectManagerImpl cimom = new CimObjectManagerImpl();
    private long serviceId;

    /** With vAMT's whole schema, read from the vamt-cim-schema jar on the class path. */
    public TestCimom() throws Exception {
        this(vamtSchema());
    }

    /** With a schema of the given MOF text. */
    public TestCimom(String mof) throws Exception {
        cimom.schemaRegistry().add("test schema", MofCompiler.compile(mof, "schema.mof", null).classes());
    }

    private static String vamtSchema() throws IOException {
        try (InputStream in = TestCimom.class.getClassLoader().getResourceAsStream("OSGI-INF/mof/vamt-schema.mof")) {
            if (in == null) {
                throw new IOException("OSGI-INF/mof/vamt-schema.mof (vamt-cim-schema) is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Registers a provider for these classes, as its service properties would. */
    public TestCimom serve(CimProvider provider, String... classes) {
        cimom.addProvider(provider, Map.of(CimProvider.CLASSES, classes, "service.id", ++serviceId));
        return this;
    }

    /** A provider with no instances that just makes classes served. */
    public TestCimom serveEmpty(String... classes) {
        return serve((ctx, c) -> List.of(), classes);
    }

    public CimObjectManager manager() {
        return cimom;
    }

    /** A property as the schema declares it (e.g. to check its qualifiers). */
    public Optional<CimPropertyDef> property(String className, String property) {
        return cimom.schemaRegistry().current().property(className, property);
    }
}
