package org.vamt.cimom.internal;

import java.util.Map;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;

/** Builds the real CIMOM outside OSGi for the WS-Management tests, doing what SCR would. */
public final class CimomTestAccess {
    private CimomTestAccess() {
    }

    public static CimObjectManager newCimom(CimProvider provider, String... classes) {
        CimObjectManagerImpl cimom = new CimObjectManagerImpl();
        cimom.addProvider(provider, Map.of(CimProvider.CLASSES, classes, "service.id", 1L));
        return cimom;
    }
}
