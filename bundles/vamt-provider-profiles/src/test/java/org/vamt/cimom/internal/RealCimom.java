package org.vamt.cimom.internal;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.mof.MofCompiler;

/** The real CIMOM outside OSGi with vAMT's compiled schema, doing what SCR and the MOF tracker would. */
public final class RealCimom {
    private final CimObjectManagerImpl cimom = new CimObjectManagerImpl();
    private long serviceId;

    public RealCimom() throws Exception {
        try (InputStream in = RealCimom.class.getResourceAsStream("/OSGI-INF/mof/vamt-schema.mof")) {
            String mof = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            cimom.schemaRegistry().add("vamt-cim-schema", MofCompiler.compile(mof, "vamt-schema.mof", null).classes());
        }
    }

    /** Registers a provider for these classes, as its service properties would. */
    public RealCimom serve(CimProvider provider, String... classes) {
        cimom.addProvider(provider, Map.of(CimProvider.CLASSES, classes, "service.id", ++serviceId));
        return this;
    }

    /** A provider with no instances that just makes classes served. */
    public RealCimom serveEmpty(String... classes) {
        return serve((ctx, c) -> List.of(), classes);
    }

    public CimObjectManager manager() {
        return cimom;
    }
}
