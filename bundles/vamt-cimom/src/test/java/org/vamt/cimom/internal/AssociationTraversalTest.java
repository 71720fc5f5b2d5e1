package org.vamt.cimom.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.mof.MofCompiler;

/** Associators and References across providers: a system, its services, and two associations. */
class AssociationTraversalTest {
    private static final RequestContext CTX = new RequestContext("uuid-1", "vm1", "admin", "Digest:X");

    static final String MOF = """
            class T_Element { string ElementName; };
            class T_System : T_Element { [Key] string CreationClassName; [Key] string Name; };
            class T_Service : T_Element { [Key] string Name; uint16 Port; };
            class T_PowerService : T_Service { };
            [Association] class T_Dependency { [Key] T_Element REF Antecedent; [Key] T_Element REF Dependent; };
            [Association] class T_Hosted : T_Dependency { [Override ("Antecedent")] T_System REF Antecedent; };
            class T_Available : T_Dependency { uint16 PowerState; };
            class T_Port : T_Element { [Key] string SystemName; [Key] string DeviceID; };
            [Association] class T_PortPolicy { [Key] T_Port REF Antecedent; [Key] T_Service REF Dependent; };
            """;

    static final CimObjectPath SYSTEM = new CimObjectPath("T_System",
            Map.of("CreationClassName", "T_System", "Name", "ManagedSystem"));
    static final CimObjectPath POWER = CimObjectPath.of("T_PowerService", "Name", "Power");
    static final CimObjectPath BOOT = CimObjectPath.of("T_Service", "Name", "Boot");
    static final CimObjectPath GONE = CimObjectPath.of("T_Service", "Name", "Gone");

    CimObjectManagerImpl cimom;

    @BeforeEach
    void schemaAndProviders() throws Exception {
        cimom = new CimObjectManagerImpl();
        cimom.bindAccess((user, machine, realm) -> true);
        cimom.schemaRegistry().add("test", MofCompiler.compile(MOF, "test.mof", null).classes());
        serve(1, (ctx, c) -> List.of(CimInstance.builder("T_System").key("CreationClassName", "T_System")
                .key("Name", "ManagedSystem").build()), "T_System");
        serve(2, (ctx, c) -> List.of(
                CimInstance.builder("T_PowerService").key("Name", "Power").property("Port", 7).build(),
                CimInstance.builder("T_Service").key("Name", "Boot").build()), "T_Service", "T_PowerService");
        serve(3, (ctx, c) -> List.of(link("T_Hosted", SYSTEM, POWER), link("T_Hosted", SYSTEM, BOOT),
                link("T_Hosted", SYSTEM, GONE)), "T_Hosted");
        // Not marked [Association] itself: the qualifier comes from T_Dependency.
        serve(4, (ctx, c) -> List.of(CimInstance.builder("T_Available").key("Antecedent", POWER)
                .key("Dependent", SYSTEM).property("PowerState", 2).build()), "T_Available");
    }

    /** Ports referenced as AMT does it: by DeviceID alone, without the system's key. */
    private void servePortsReferencedByDeviceId() {
        serve(5, (ctx, c) -> List.of(
                CimInstance.builder("T_Port").key("SystemName", "AMT").key("DeviceID", "Port 0").build(),
                CimInstance.builder("T_Port").key("SystemName", "AMT").key("DeviceID", "Port 1").build()), "T_Port");
        serve(6, (ctx, c) -> List.of(CimInstance.builder("T_PortPolicy")
                .key("Antecedent", CimObjectPath.of("T_Port", "DeviceID", "Port 1")).key("Dependent", BOOT).build()),
                "T_PortPolicy");
    }

    @Test
    void partialReferencesMatchOnTheKeysTheyGive() throws CimException {
        servePortsReferencedByDeviceId();
        CimObjectPath port1 = new CimObjectPath("T_Port", Map.of("SystemName", "AMT", "DeviceID", "Port 1"));
        assertEquals(List.of("T_Service:Boot"), names(cimom.associators(CTX, port1, "T_PortPolicy", null, null, null)));
        assertEquals(List.of(), cimom.associators(CTX, new CimObjectPath("T_Port",
                Map.of("SystemName", "AMT", "DeviceID", "Port 0")), "T_PortPolicy", null, null, null));
        List<CimInstance> ports = cimom.associators(CTX, BOOT, "T_PortPolicy", null, null, null);
        assertEquals(1, ports.size());
        assertEquals("AMT", ports.get(0).get("SystemName"), "the partial reference resolved to the full instance");
        assertEquals(1, cimom.references(CTX, port1, null, "Antecedent").size());
    }

    private static CimInstance link(String cls, CimObjectPath antecedent, CimObjectPath dependent) {
        return CimInstance.builder(cls).key("Antecedent", antecedent).key("Dependent", dependent).build();
    }

    private void serve(long id, CimProvider p, String... classes) {
        cimom.addProvider(p, Map.of(CimProvider.CLASSES, classes, "service.id", id));
    }

    private static List<String> names(List<CimInstance> instances) {
        return instances.stream().map(i -> i.className() + ":" + i.path().key("Name")).toList();
    }

    @Test
    void associatorsFollowEveryServedAssociationAndSkipMissingEnds() throws CimException {
        List<CimInstance> all = cimom.associators(CTX, SYSTEM, null, null, null, null);
        assertEquals(List.of("T_PowerService:Power", "T_Service:Boot"), names(all),
                "real classes, each once, the dangling reference to Gone skipped");
        assertEquals(7L, all.get(0).get("Port"), "the other end is the full instance, as Get returns it");
    }

    @Test
    void associatorFiltersNarrowByAssociationResultClassAndRoles() throws CimException {
        assertEquals(List.of("T_PowerService:Power"),
                names(cimom.associators(CTX, SYSTEM, null, "T_PowerService", null, null)));
        assertEquals(List.of("T_PowerService:Power"),
                names(cimom.associators(CTX, SYSTEM, "T_Available", null, null, null)));
        assertEquals(List.of("T_PowerService:Power", "T_Service:Boot"),
                names(cimom.associators(CTX, SYSTEM, "T_Hosted", null, "antecedent", "Dependent")));
        assertEquals(List.of(), cimom.associators(CTX, SYSTEM, "T_Hosted", null, "Dependent", null));
        assertEquals(List.of("T_System:ManagedSystem"),
                names(cimom.associators(CTX, POWER, null, null, null, "Antecedent")));
    }

    @Test
    void selectorsAreTypedAndSingletonsResolvedAsForGet() throws CimException {
        CimObjectPath reordered = new CimObjectPath("T_System", Map.of("Name", "ManagedSystem",
                "CreationClassName", "T_System"));
        assertEquals(2, cimom.associators(CTX, reordered, null, null, null, null).size());
        assertEquals(2, cimom.associators(CTX, CimObjectPath.of("T_System"), null, null, null, null).size(),
                "no selectors: the singleton");
        CimException missing = assertThrows(CimException.class, () -> cimom.associators(CTX,
                CimObjectPath.of("T_Service", "Name", "Nope"), null, null, null, null));
        assertEquals(CimStatus.NOT_FOUND, missing.status());
        CimException unknown = assertThrows(CimException.class, () -> cimom.associators(CTX, SYSTEM,
                "T_NoSuchAssociation", null, null, null));
        assertEquals(CimStatus.INVALID_CLASS, unknown.status());
    }

    @Test
    void referencesReturnTheAssociationInstances() throws CimException {
        List<CimInstance> refs = cimom.references(CTX, POWER, null, null);
        assertEquals(List.of("T_Available", "T_Hosted"), refs.stream().map(CimInstance::className).toList());
        assertEquals(List.of("T_Available"),
                cimom.references(CTX, POWER, "T_Available", null).stream().map(CimInstance::className).toList());
        assertEquals(List.of("T_Available"),
                cimom.references(CTX, POWER, null, "Antecedent").stream().map(CimInstance::className).toList());
        assertEquals(4, cimom.references(CTX, SYSTEM, "T_Dependency", null).size(),
                "three T_Hosted links (the dangling one too) and T_Available, where the system is Dependent");
        assertEquals(3, cimom.references(CTX, SYSTEM, null, "Antecedent").size());
    }
}
