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
        cimom.bindAccess((user, machine, realm) -> true);
    }

    /**
     * Realm decisions from {@code check} (e.g. the real users store) instead of the default, which
     * lets every user hold every realm: tests of the realm rules themselves pass the real one.
     */
    public TestCimom access(org.vamt.security.RealmCheck check) {
        cimom.bindAccess(check);
        return this;
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

    /**
     * Registers a provider with all its service properties (classes and realm rules), as Declarative
     * Services would.
     */
    public TestCimom serve(CimProvider provider, Map<String, Object> properties) {
        Map<String, Object> p = new java.util.HashMap<>(properties);
        p.put("service.id", ++serviceId);
        cimom.addProvider(provider, p);
        return this;
    }

    /**
     * A realm rule as a provider declares it ({@code CimProvider.REALM_PREFIX}): {@code target} is
     * a class or {@code Class.Method}, {@code rule} e.g. {@code "*,3"} or {@code "5"}.
     */
    public TestCimom realm(String target, String rule) {
        cimom.realmRules().add(this, Map.of(CimProvider.REALM_PREFIX + target, rule));
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
