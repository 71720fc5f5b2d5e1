package org.vamt.provider.profiles.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimInstance;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.cim.spi.RequestContext;

class ProfileProviderTest {
    private static final RequestContext CTX = new RequestContext("u", "vm", "admin", "Digest:X");

    @Test
    void onlyProfilesWhoseClassesAreServedAreRegistered() throws Exception {
        TestCimom cimom = new TestCimom().serveEmpty("CIM_ComputerSystem", "CIM_PowerManagementService",
                "CIM_AssociatedPowerManagementService", "CIM_BootService");
        ProfileProvider p = new ProfileProvider(cimom.manager());
        cimom.serve(p, "CIM_RegisteredProfile", "CIM_ElementConformsToProfile");
        List<String> names = p.enumerateInstances(CTX, "CIM_RegisteredProfile").stream()
                .map(i -> (String) i.get("RegisteredName")).toList();
        assertEquals(List.of("Profile Registration", "Base Desktop and Mobile", "Power State Management"), names,
                "Boot Control needs its three classes; one is not enough");
        List<CimInstance> links = p.enumerateInstances(CTX, "CIM_ElementConformsToProfile");
        assertEquals(3, links.size());
        assertTrue(links.get(0).keyNames().containsAll(List.of("ConformantStandard", "ManagedElement")));
        // Through the CIMOM, the instances pass the schema (keys, types) as clients would get them.
        assertEquals(3, cimom.manager().enumerateInstances(CTX, "CIM_RegisteredProfile").size());
    }

    @Test
    void kvmRedirectionIsRegisteredOnceItsAccessPointIsServed() throws Exception {
        TestCimom cimom = new TestCimom().serveEmpty("CIM_KVMRedirectionSAP");
        ProfileProvider p = new ProfileProvider(cimom.manager());
        cimom.serve(p, "CIM_RegisteredProfile", "CIM_ElementConformsToProfile");
        List<String> ids = p.enumerateInstances(CTX, "CIM_RegisteredProfile").stream()
                .map(i -> (String) i.get("InstanceID")).toList();
        assertEquals(List.of("DMTF:DSP1033:1.0.0", "DMTF:DSP1076:1.0.0"), ids);
    }
}
