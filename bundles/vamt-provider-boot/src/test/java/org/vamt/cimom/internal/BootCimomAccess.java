package org.vamt.cimom.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.mof.MofCompiler;

/**
 * Test-only: the real CIMOM with the whole vAMT schema (the MOF inside vamt-cim-schema, as the
 * bundle tracker would read it) and the given providers bound as Declarative Services would. It
 * sits in the CIMOM's package because those methods are package-private.
 */
public final class BootCimomAccess {
    private final CimObjectManagerImpl cimom = new CimObjectManagerImpl();
    private long serviceId;

    public BootCimomAccess() throws Exception {
        String mof;
        try (InputStream in = CimObjectManagerImpl.class.getClassLoader()
                .getResourceAsStream("OSGI-INF/mof/vamt-schema.mof")) {
            if (in == null) {
                throw new IOException("OSGI-INF/mof/vamt-schema.mof (vamt-cim-schema) is not on the class path");
            }
            mof = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        cimom.schemaRegistry().add("vamt-cim-schema", MofCompiler.compile(mof, "vamt-schema.mof", null).classes());
    }

    public BootCimomAccess serve(CimProvider provider, String... classes) {
        cimom.addProvider(provider, Map.of(CimProvider.CLASSES, classes, "service.id", ++serviceId));
        return this;
    }

    public CimObjectManager cimom() {
        return cimom;
    }

    /** A property as the schema declares it, e.g. to see whether it carries [Write]. */
    public Optional<CimPropertyDef> property(String className, String property) {
        return cimom.schemaRegistry().current().property(className, property);
    }
}
