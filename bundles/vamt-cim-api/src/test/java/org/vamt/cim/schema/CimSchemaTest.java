package org.vamt.cim.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CimSchemaTest {
    private static CimPropertyDef ref(String name, String target, CimQualifier... q) {
        return new CimPropertyDef(name, CimDataType.REFERENCE, target, false, null, List.of(q));
    }

    private static CimClassDef cls(String name, String superClass, CimPropertyDef... props) {
        return new CimClassDef(name, superClass, List.of(), List.of(props), List.of());
    }

    @Test
    void overridingReferenceStaysAKeyAndKeepsItsPlace() {
        CimSchema s = CimSchema.of(List.of(
                cls("CIM_Dependency", null, ref("Antecedent", "CIM_ManagedElement", new CimQualifier("Key", null)),
                        ref("Dependent", "CIM_ManagedElement", new CimQualifier("Key", null))),
                cls("CIM_SystemPackaging", "CIM_Dependency",
                        ref("Dependent", "CIM_System", new CimQualifier("Override", "Dependent")),
                        new CimPropertyDef("PlatformGUID", CimDataType.STRING, null, false, null, List.of()))));
        List<CimPropertyDef> props = s.properties("cim_systempackaging");
        assertEquals(List.of("Antecedent", "Dependent", "PlatformGUID"), props.stream().map(CimPropertyDef::name).toList());
        assertEquals("CIM_System", props.get(1).referenceClass(), "the override narrows the reference");
        assertEquals(List.of("Antecedent", "Dependent"), s.keys("CIM_SystemPackaging").stream()
                .map(CimPropertyDef::name).toList(), "Key is inherited by the overriding property");
        assertTrue(s.isA("CIM_SystemPackaging", "cim_dependency"));
        assertEquals(List.of("CIM_Dependency", "CIM_SystemPackaging"), s.withSubclasses("CIM_Dependency"));
    }

    @Test
    void missingSuperclassOrCycleIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> CimSchema.of(List.of(cls("A", "Missing"))));
        assertThrows(IllegalArgumentException.class, () -> CimSchema.of(List.of(cls("A", "B"), cls("B", "A"))));
    }
}
