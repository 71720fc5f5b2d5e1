package org.vamt.cimom.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.mof.MofCompiler;
import org.vamt.security.AmtRealm;

/**
 * The CIMOM holds every caller to the realms the providers declare: a front end cannot forget a
 * check, and a provider deployed later brings its own policy.
 */
class RealmEnforcementTest {
    static final String MOF = """
            class T_System { [Key] string Name; };
            class T_Power { [Key] string Name; uint32 Change(); uint32 Peek(); };
            class T_Secret { [Key] string Name; };
            [Association] class T_Link { [Key] T_System REF Antecedent; [Key] T_Power REF Dependent; };
            """;
    static final CimObjectPath SYSTEM = CimObjectPath.of("T_System", "Name", "S");
    static final CimObjectPath POWER = CimObjectPath.of("T_Power", "Name", "P");

    /** user -> realms held on vm-1 (nobody holds anything elsewhere). */
    final Map<String, Set<Integer>> grants = new HashMap<>();
    CimObjectManagerImpl cimom;
    long ids;

    @BeforeEach
    void cimom() throws Exception {
        cimom = new CimObjectManagerImpl();
        cimom.schemaRegistry().add("test", MofCompiler.compile(MOF, "test.mof", null).classes());
        cimom.bindAccess((user, machine, realm) -> "vm-1".equals(machine)
                && grants.getOrDefault(user, Set.of()).contains(realm));
        grants.put("hw", Set.of(AmtRealm.HARDWARE_ASSET));
        grants.put("rc", Set.of(AmtRealm.REMOTE_CONTROL));
        serve(new Fixed(List.of(CimInstance.builder("T_System").key("Name", "S").build())), "T_System",
                CimProvider.REALM_PREFIX + "T_System", "*");
        serve(new Fixed(List.of(CimInstance.builder("T_Power").key("Name", "P").build())), "T_Power",
                CimProvider.REALM_PREFIX + "T_Power", AmtRealm.HARDWARE_ASSET + "," + AmtRealm.REMOTE_CONTROL,
                CimProvider.REALM_PREFIX + "T_Power.Peek", String.valueOf(AmtRealm.HARDWARE_ASSET));
        serve(new Fixed(List.of(CimInstance.builder("T_Link").key("Antecedent", SYSTEM).key("Dependent", POWER)
                .build())), "T_Link", CimProvider.REALM_PREFIX + "T_Link", "*");
    }

    private CimProvider serve(CimProvider p, String cls, String... realmRules) {
        Map<String, Object> props = new HashMap<>();
        props.put(CimProvider.CLASSES, new String[] {cls});
        props.put("service.id", ++ids);
        for (int i = 0; i < realmRules.length; i += 2) {
            props.put(realmRules[i], realmRules[i + 1]);
        }
        cimom.addProvider(p, props);
        return p;
    }

    private static RequestContext as(String user) {
        return new RequestContext("vm-1", "vm1", user, "Digest:X");
    }

    private static CimStatus status(Executable e) {
        return assertThrows(CimException.class, e::run).status();
    }

    interface Executable {
        void run() throws CimException;
    }

    @Test
    void readAndWriteRealmsAreThoseTheProviderDeclares() throws CimException {
        assertEquals(1, cimom.enumerateInstances(as("nobody"), "T_System").size(), "* = any authenticated user");
        assertEquals(1, cimom.enumerateInstances(as("hw"), "T_Power").size());
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.enumerateInstances(as("rc"), "T_Power")));
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.getInstance(as("nobody"), POWER)));
        assertEquals(0, cimom.invokeMethod(as("rc"), POWER, "Change", Map.of()).returnValue());
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.invokeMethod(as("hw"), POWER, "Change", Map.of())));
        assertEquals(0, cimom.invokeMethod(as("hw"), POWER, "Peek", Map.of()).returnValue(),
                "a method rule overrides the class's write realm");
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.invokeMethod(as("rc"), POWER, "Peek", Map.of())));
    }

    @Test
    void mayInvokeAnswersWhatTheCallWouldDecide() {
        assertEquals(true, cimom.mayInvoke(as("rc"), "T_Power", "Change"));
        assertEquals(false, cimom.mayInvoke(as("hw"), "T_Power", "Change"));
        assertEquals(true, cimom.mayInvoke(as("hw"), "T_Power", "Peek"), "the method's own rule");
        assertEquals(false, cimom.mayInvoke(new RequestContext("vm-2", "vm2", "rc", "Digest:Y"), "T_Power", "Change"));
        assertEquals(true, cimom.mayInvoke(RequestContext.operator("vm-1", "vm1", "shell:karaf", ""), "T_Power",
                "Change"));
    }

    @Test
    void aVmTheUserHoldsNothingOnIsDenied() {
        RequestContext elsewhere = new RequestContext("vm-2", "vm2", "hw", "Digest:Y");
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.enumerateInstances(elsewhere, "T_Power")));
    }

    @Test
    void undeclaredClassesNeedPtAdministrationAndTheOperatorIsNotHeldToRealms() throws CimException {
        serve(new Fixed(List.of(CimInstance.builder("T_Secret").key("Name", "x").build())), "T_Secret");
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.enumerateInstances(as("hw"), "T_Secret")));
        grants.put("admin", Set.of(AmtRealm.PT_ADMINISTRATION));
        assertEquals(1, cimom.enumerateInstances(as("admin"), "T_Secret").size());
        assertEquals(1, cimom.enumerateInstances(RequestContext.operator("vm-1", "vm1", "shell:karaf", ""),
                "T_Secret").size());
    }

    @Test
    void associationResultsAreOnlyThoseTheUserMayRead() throws CimException {
        assertEquals(List.of(), cimom.associators(as("rc"), SYSTEM, null, null, null, null),
                "rc may read the system but not T_Power");
        assertEquals(1, cimom.associators(as("hw"), SYSTEM, null, null, null, null).size());
    }

    @Test
    void aHotDeployedProviderBringsItsPolicyAndTakesItAway() throws CimException {
        CimProvider secret = serve(new Fixed(List.of(CimInstance.builder("T_Secret").key("Name", "x").build())),
                "T_Secret", CimProvider.REALM_PREFIX + "T_Secret", String.valueOf(AmtRealm.HARDWARE_ASSET));
        assertEquals(1, cimom.enumerateInstances(as("hw"), "T_Secret").size());
        cimom.removeProvider(secret);
        serve(new Fixed(List.of(CimInstance.builder("T_Secret").key("Name", "x").build())), "T_Secret");
        assertEquals(CimStatus.ACCESS_DENIED, status(() -> cimom.enumerateInstances(as("hw"), "T_Secret")),
                "the withdrawn provider's rule went with it");
    }

    /** Fixed instances; every method returns 0. */
    record Fixed(List<CimInstance> instances) implements CimProvider {
        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            return instances;
        }

        @Override
        public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                         Map<String, Object> arguments) {
            return new MethodResult(0, Map.of());
        }
    }
}
