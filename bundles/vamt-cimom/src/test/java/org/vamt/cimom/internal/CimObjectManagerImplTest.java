package org.vamt.cimom.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;

class CimObjectManagerImplTest {
    private static final RequestContext CTX = new RequestContext("uuid-1", "vm1", "admin", "Digest:X");

    /** A provider that only enumerates, as a CIMPLE skeleton with just enum_instances filled in. */
    static final class EnumOnlyProcessors implements CimProvider {
        final List<String> invoked = new ArrayList<>();

        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            return List.of(cpu(0), cpu(1), cpu(2));
        }

        @Override
        public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                         Map<String, Object> arguments) {
            invoked.add(method + target.key("Number") + arguments);
            return MethodResult.of(0);
        }

        private static CimInstance cpu(long n) {
            return CimInstance.builder("Processor").key("Number", n).property("EnabledState", n < 2 ? 2 : 3).build();
        }
    }

    private static CimObjectManagerImpl cimomWith(CimProvider p, String classes) {
        CimObjectManagerImpl cimom = new CimObjectManagerImpl();
        cimom.addProvider(p, Map.of(CimProvider.CLASSES, classes, "service.id", 1L));
        return cimom;
    }

    @Test
    void getComesForFreeFromEnumeration() throws CimException {
        CimObjectManagerImpl cimom = cimomWith(new EnumOnlyProcessors(), "Processor");
        CimInstance i = cimom.getInstance(CTX, new CimObjectPath("Processor", Map.of("Number", "2")));
        assertEquals(3L, i.get("EnabledState"));
    }

    @Test
    void pathWithoutKeysNamesTheFirstInstance() throws CimException {
        CimObjectManagerImpl cimom = cimomWith(new EnumOnlyProcessors(), "Processor");
        assertEquals(0L, cimom.getInstance(CTX, CimObjectPath.of("Processor")).get("Number"));
    }

    @Test
    void wrongSelectorsAreInvalidParameterAndMissingInstancesNotFound() {
        CimObjectManagerImpl cimom = cimomWith(new EnumOnlyProcessors(), "Processor");
        CimException bad = assertThrows(CimException.class,
                () -> cimom.getInstance(CTX, CimObjectPath.of("Processor", "Socket", "1")));
        assertEquals(CimStatus.INVALID_PARAMETER, bad.status());
        CimException missing = assertThrows(CimException.class,
                () -> cimom.getInstance(CTX, CimObjectPath.of("Processor", "Number", "9")));
        assertEquals(CimStatus.NOT_FOUND, missing.status());
    }

    @Test
    void invokeResolvesTheTargetFirst() throws CimException {
        EnumOnlyProcessors p = new EnumOnlyProcessors();
        CimObjectManagerImpl cimom = cimomWith(p, "Processor");
        cimom.invokeMethod(CTX, CimObjectPath.of("Processor", "Number", "1"), "Enable", Map.of("Enabled", "false"));
        assertEquals(List.of("Enable1{Enabled=false}"), p.invoked);
        assertThrows(CimException.class,
                () -> cimom.invokeMethod(CTX, CimObjectPath.of("Processor", "Number", "7"), "Enable", Map.of()));
        assertEquals(1, p.invoked.size(), "no call for a missing instance");
    }

    @Test
    void lateRegistrationAndWithdrawal() throws CimException {
        CimObjectManagerImpl cimom = new CimObjectManagerImpl();
        CimException before = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));
        assertEquals(CimStatus.INVALID_CLASS, before.status());
        EnumOnlyProcessors p = new EnumOnlyProcessors();
        cimom.addProvider(p, Map.of(CimProvider.CLASSES, new String[] {"Processor"}, "service.id", 5L));
        assertEquals(3, cimom.enumerateInstances(CTX, "processor").size());
        assertTrue(cimom.servedClasses().contains("Processor"));
        cimom.removeProvider(p);
        assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));
    }

    @Test
    void higherRankingWinsAndMalformedProvidersAreIgnored() throws CimException {
        CimObjectManagerImpl cimom = new CimObjectManagerImpl();
        CimProvider low = (ctx, c) -> List.of(CimInstance.builder(c).key("K", "low").build());
        CimProvider high = (ctx, c) -> List.of(CimInstance.builder(c).key("K", "high").build());
        cimom.addProvider(low, Map.of(CimProvider.CLASSES, "C", "service.id", 1L));
        cimom.addProvider(high, Map.of(CimProvider.CLASSES, "C", "service.id", 2L, "service.ranking", 10));
        cimom.addProvider((ctx, c) -> List.of(), Map.of("service.id", 3L));
        assertEquals("high", cimom.enumerateInstances(CTX, "C").get(0).get("K"));
        cimom.removeProvider(high);
        assertEquals("low", cimom.enumerateInstances(CTX, "C").get(0).get("K"));
    }

    @Test
    void providerBugsBecomeCimFailures() {
        CimObjectManagerImpl cimom = cimomWith((ctx, c) -> {
            throw new IllegalStateException("boom");
        }, "C");
        CimException e = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "C"));
        assertEquals(CimStatus.FAILED, e.status());
    }
}
