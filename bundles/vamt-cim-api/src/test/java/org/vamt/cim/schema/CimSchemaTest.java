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

    private static CimPropertyDef str(String name) {
        return new CimPropertyDef(name, CimDataType.STRING, null, false, null, List.of());
    }

    /** Captured AMT 16 answers list properties in ASCII order, upper case before lower case. */
    @Test
    void amtOrderIsTheAsciiOrderOfTheNames() {
        CimSchema s = CimSchema.of(List.of(
                cls("CIM_Service", null, str("SystemName"), str("Name"), str("ElementName"), str("CreationClassName")),
                cls("AMT_Thing", "CIM_Service", str("Zeta"), str("IPAddress"), str("IdleWakeTimeout"), str("alpha"))));
        assertEquals(List.of("CreationClassName", "ElementName", "IPAddress", "IdleWakeTimeout", "Name", "SystemName",
                "Zeta", "alpha"), s.amtOrder("amt_thing").stream().map(CimPropertyDef::name).toList());
        assertEquals(List.of("SystemName", "Name", "ElementName", "CreationClassName", "Zeta", "IPAddress",
                "IdleWakeTimeout", "alpha"), s.properties("AMT_Thing").stream().map(CimPropertyDef::name).toList(),
                "the schema order itself is unchanged");
    }

    /** Three classes where AMT writes the class's own properties after the inherited ones. */
    @Test
    void ownPropertiesLastForAmtsThreeExceptions() {
        CimSchema s = CimSchema.of(List.of(
                cls("CIM_Service", null, str("SystemName"), str("Name"), str("ElementName")),
                cls("IPS_PowerManagementService", "CIM_Service", str("OSPowerSavingState"), str("Bogus"),
                        str("Name"))));
        assertEquals(List.of("ElementName", "Name", "SystemName", "OSPowerSavingState", "Bogus"),
                s.amtOrder("IPS_PowerManagementService").stream().map(CimPropertyDef::name).toList(),
                "inherited (an override included) in ASCII order, then the own ones as declared");
    }
}
