package org.vamt.cimom.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.InvalidKeyException;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.mof.MofCompiler;

class CimObjectManagerImplTest {
    private static final RequestContext CTX = new RequestContext("uuid-1", "vm1", "admin", "Digest:X");

    static final String MOF = """
            class Test_Base { string ElementName; uint16 EnabledState; };
            class Processor : Test_Base {
                [Key] uint32 Number;
                uint32 Enable([In, Required] boolean Enabled, [In] uint16 Delay, [Out] string Note);
            };
            class C : Test_Base { [Key] string K; [Write] string W; string RO; };
            class C_Sub : C { uint32 Extra; };
            class Svc : Test_Base { [Key] string CreationClassName; [Key] string Name; [Key] string SystemName;
                uint32 Go(); };
            """;

    CimObjectManagerImpl cimom;

    @BeforeEach
    void schema() throws Exception {
        cimom = new CimObjectManagerImpl();
        cimom.bindAccess((user, machine, realm) -> true);
        cimom.schemaRegistry().add("test", MofCompiler.compile(MOF, "test.mof", null).classes());
    }

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
            return new MethodResult(0, Map.of("Note", "done", "Bogus", "x"));
        }

        private static CimInstance cpu(long n) {
            // Deliberately out of schema order and with an Integer: the CIMOM must normalize.
            return CimInstance.builder("Processor").property("EnabledState", n < 2 ? 2 : 3).key("Number", (int) n)
                    .property("NotInSchema", "x").build();
        }
    }

    private void serve(CimProvider p, String... classes) {
        cimom.addProvider(p, Map.of(CimProvider.CLASSES, classes, "service.id", (long) classes.length));
    }

    @Test
    void getComesForFreeAndInstancesFollowTheSchema() throws CimException {
        serve(new EnumOnlyProcessors(), "Processor");
        CimInstance i = cimom.getInstance(CTX, new CimObjectPath("Processor", Map.of("Number", "2")));
        assertEquals(List.of("EnabledState", "Number"), List.copyOf(i.properties().keySet()),
                "schema order (inherited first), unknown properties dropped");
        assertEquals(3L, i.get("EnabledState"));
        assertEquals(List.of("Number"), List.copyOf(i.keyNames()));
    }

    @Test
    void providerPropertyNamesMatchTheSchemaWhateverTheirCase() throws CimException {
        // "elementname" alone takes the schema's spelling; beside an exact "EnabledState" the other spelling loses.
        serve((ctx, c) -> List.of(CimInstance.builder("C").property("enabledSTATE", 9).key("k", "a")
                .property("elementname", "x").property("EnabledState", 2).build()), "C");
        CimInstance i = cimom.enumerateInstances(CTX, "C").get(0);
        assertEquals(List.of("ElementName", "EnabledState", "K"), List.copyOf(i.properties().keySet()));
        assertEquals(List.of("x", 2L, "a"), List.copyOf(i.properties().values()));
        assertEquals(List.of("K"), List.copyOf(i.keyNames()));
    }

    @Test
    void pathWithoutKeysNamesTheFirstInstance() throws CimException {
        serve(new EnumOnlyProcessors(), "Processor");
        assertEquals(0L, cimom.getInstance(CTX, CimObjectPath.of("Processor")).get("Number"));
    }

    @Test
    void selectorsMustBeExactlyTheKeys() {
        serve(new EnumOnlyProcessors(), "Processor");
        InvalidKeyException extra = assertThrows(InvalidKeyException.class, () -> cimom.getInstance(CTX,
                new CimObjectPath("Processor", Map.of("Number", "1", "Socket", "1"))));
        assertEquals(InvalidKeyException.Problem.UNEXPECTED_SELECTORS, extra.problem());
        serve((ctx, c) -> List.of(), "C");
        InvalidKeyException typed = assertThrows(InvalidKeyException.class,
                () -> cimom.getInstance(CTX, CimObjectPath.of("Processor", "Number", "two")));
        assertEquals(InvalidKeyException.Problem.TYPE_MISMATCH, typed.problem());
        CimException missing = assertThrows(CimException.class,
                () -> cimom.getInstance(CTX, CimObjectPath.of("Processor", "Number", "9")));
        assertEquals(CimStatus.NOT_FOUND, missing.status());
    }

    @Test
    void invokeTypesArgumentsAndChecksOutputs() throws CimException {
        EnumOnlyProcessors p = new EnumOnlyProcessors();
        serve(p, "Processor");
        MethodResult r = cimom.invokeMethod(CTX, CimObjectPath.of("Processor", "Number", "1"), "enable",
                Map.of("Enabled", "false", "Delay", "5"));
        assertEquals(List.of("Enable1{Enabled=false, Delay=5}"), p.invoked);
        assertEquals(Map.of("Note", "done"), r.outputs(), "only Out parameters come back");

        CimException wrongType = assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                CimObjectPath.of("Processor", "Number", "1"), "Enable", Map.of("Enabled", "maybe")));
        assertEquals(CimStatus.INVALID_PARAMETER, wrongType.status());
        CimException outOfRange = assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                CimObjectPath.of("Processor", "Number", "1"), "Enable", Map.of("Enabled", "true", "Delay", "70000")));
        assertEquals(CimStatus.INVALID_PARAMETER, outOfRange.status());
        CimException missing = assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                CimObjectPath.of("Processor", "Number", "1"), "Enable", Map.of()));
        assertEquals(CimStatus.INVALID_PARAMETER, missing.status());
        CimException unknown = assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                CimObjectPath.of("Processor", "Number", "1"), "Explode", Map.of()));
        assertEquals(CimStatus.METHOD_NOT_FOUND, unknown.status());
        assertEquals(1, p.invoked.size(), "the provider saw only the valid call");
    }

    @Test
    void enumerationFollowsInheritance() throws CimException {
        serve((ctx, c) -> List.of(CimInstance.builder("C_Sub").key("K", "sub").property("Extra", 1).build()), "C_Sub");
        List<CimInstance> all = cimom.enumerateInstances(CTX, "C");
        assertEquals(1, all.size());
        assertEquals("C_Sub", all.get(0).className());
        assertEquals(1, cimom.enumerateInstances(CTX, "Test_Base").size());
    }

    @Test
    void putChangesOnlyWritableProperties() throws CimException {
        CimInstance[] stored = {CimInstance.builder("C").key("K", "a").property("W", "old").property("RO", "fixed")
                .build()};
        CimProvider p = new CimProvider() {
            @Override
            public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
                return List.of(stored[0]);
            }

            @Override
            public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified) {
                stored[0] = modified;
                return modified;
            }
        };
        serve(p, "C");
        CimInstance put = CimInstance.builder("C").property("K", "a").property("W", "new").property("RO", "fixed")
                .build();
        assertEquals("new", cimom.modifyInstance(CTX, CimObjectPath.of("C"), put).get("W"));
        CimInstance readOnly = CimInstance.builder("C").property("RO", "changed").property("W", "newer").build();
        assertEquals("newer", cimom.modifyInstance(CTX, CimObjectPath.of("C"), readOnly).get("W"));
        assertEquals("fixed", stored[0].get("RO"), "read-only properties in a Put are ignored, as AMT does");
        CimException typed = assertThrows(CimException.class, () -> cimom.modifyInstance(CTX, CimObjectPath.of("C"),
                CimInstance.builder("C").property("Nope", "x").build()));
        assertEquals(CimStatus.NO_SUCH_PROPERTY, typed.status());
        serve(new EnumOnlyProcessors(), "Processor");
        CimException nothingWritable = assertThrows(CimException.class, () -> cimom.modifyInstance(CTX,
                CimObjectPath.of("Processor"), CimInstance.builder("Processor").property("EnabledState", 3).build()));
        assertEquals(CimStatus.NOT_SUPPORTED, nothingWritable.status());
    }

    @Test
    void classesComeAndGoWithTheirProvidersAndSchemaSources() throws CimException {
        CimException noProvider = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));
        assertEquals(CimStatus.INVALID_CLASS, noProvider.status());
        EnumOnlyProcessors p = new EnumOnlyProcessors();
        serve(p, "Processor");
        assertEquals(3, cimom.enumerateInstances(CTX, "processor").size());
        assertTrue(cimom.servedClasses().contains("Processor"));
        cimom.removeProvider(p);
        assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));

        serve(p, "Processor", "Nonexistent_Class");
        cimom.schemaRegistry().remove("test");
        CimException unknown = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));
        assertEquals(CimStatus.INVALID_CLASS, unknown.status(), "a provider alone does not make a class");
        assertFalse(cimom.servedClasses().contains("Processor"));
    }

    @Test
    void subclassesWaitForTheirSuperclass() throws Exception {
        CimObjectManagerImpl fresh = new CimObjectManagerImpl();
        fresh.bindAccess((user, machine, realm) -> true);
        fresh.schemaRegistry().add("provider", MofCompiler.compile("class D : Test_Base { [Key] string K; };",
                "d.mof", null).classes());
        assertTrue(fresh.schemaRegistry().current().classDef("D").isEmpty());
        fresh.schemaRegistry().add("core", MofCompiler.compile(MOF, "core.mof", null).classes());
        assertTrue(fresh.schemaRegistry().current().classDef("D").isPresent());
    }

    @Test
    void higherRankingWinsAndMalformedProvidersAreIgnored() throws CimException {
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
        serve((ctx, c) -> {
            throw new IllegalStateException("boom");
        }, "C");
        CimException e = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "C"));
        assertEquals(CimStatus.FAILED, e.status());
        serve((ctx, c) -> List.of(CimInstance.builder("Processor").key("Number", 1).property("EnabledState", "high")
                .build()), "Processor");
        CimException wrong = assertThrows(CimException.class, () -> cimom.enumerateInstances(CTX, "Processor"));
        assertEquals(CimStatus.FAILED, wrong.status(), "a value that does not fit the schema is the provider's bug");
    }

    /** Real AMT accepts some of the keys when they name exactly one instance (Ironic's AMT driver sends Name only). */
    @Test
    void someKeysNamingExactlyOneInstanceAreEnough() throws CimException {
        List<String> went = new ArrayList<>();
        List<CimInstance> services = new ArrayList<>(List.of(svc("Power", "Host")));
        serve(new CimProvider() {
            @Override
            public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
                return List.copyOf(services);
            }

            @Override
            public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                             Map<String, Object> arguments) {
                went.add(target.key("Name") + "/" + target.key("SystemName"));
                return MethodResult.of(0);
            }

            @Override
            public void deleteInstance(RequestContext ctx, CimInstance instance) {
                went.add("deleted");
            }
        }, "Svc");
        CimObjectPath byName = new CimObjectPath("Svc", Map.of("Name", "Power"));
        assertEquals("Host", cimom.getInstance(CTX, byName).get("SystemName"));
        assertEquals(0, cimom.invokeMethod(CTX, byName, "Go", Map.of()).returnValue());
        assertEquals(List.of("Power/Host"), went, "the method runs on the full path of the one instance");
        CimException wrong = assertThrows(CimException.class,
                () -> cimom.invokeMethod(CTX, new CimObjectPath("Svc", Map.of("Name", "Boot")), "Go", Map.of()));
        assertEquals(CimStatus.NOT_FOUND, wrong.status(), "a value no instance has still fails");
        InvalidKeyException unknown = assertThrows(InvalidKeyException.class,
                () -> cimom.getInstance(CTX, new CimObjectPath("Svc", Map.of("Name", "Power", "Color", "red"))));
        assertEquals(InvalidKeyException.Problem.UNEXPECTED_SELECTORS, unknown.problem());
        services.add(svc("Power", "Other"));
        InvalidKeyException ambiguous = assertThrows(InvalidKeyException.class, () -> cimom.getInstance(CTX, byName));
        assertEquals(InvalidKeyException.Problem.INSUFFICIENT_SELECTORS, ambiguous.problem(),
                "keys that fit several instances are not enough");
        InvalidKeyException deletingOneOfMany = assertThrows(InvalidKeyException.class,
                () -> cimom.deleteInstance(CTX, byName));
        assertEquals(InvalidKeyException.Problem.INSUFFICIENT_SELECTORS, deletingOneOfMany.problem(),
                "a Delete never picks one of several instances");
        assertEquals(List.of("Power/Host"), went);
        // the keys that name one instance are enough for a Delete too, as on AMT (consoles delete CIRA
        // policies by PolicyRuleName alone)
        cimom.deleteInstance(CTX, new CimObjectPath("Svc", Map.of("Name", "Power", "SystemName", "Other")));
        assertEquals(List.of("Power/Host", "deleted"), went);
    }

    private static CimInstance svc(String name, String system) {
        return CimInstance.builder("Svc").key("CreationClassName", "Svc").key("Name", name).key("SystemName", system)
                .build();
    }
}
