package org.vamt.cimom.internal;

import java.util.Map;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.mof.MofCompiler;

/** Builds the real CIMOM outside OSGi for the WS-Management tests, doing what SCR would. */
public final class CimomTestAccess {
    private CimomTestAccess() {
    }

    /** A CIMOM whose schema is {@code mof} and whose one provider serves {@code classes}. */
    public static CimObjectManager newCimom(String mof, CimProvider provider, String... classes) throws Exception {
        CimObjectManagerImpl cimom = new CimObjectManagerImpl();
        cimom.schemaRegistry().add("test", MofCompiler.compile(mof, "test.mof", null).classes());
        cimom.addProvider(provider, Map.of(CimProvider.CLASSES, classes, "service.id", 1L));
        return cimom;
    }
}
