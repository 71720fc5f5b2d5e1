package org.vamt.mof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimQualifier;
import org.vamt.cim.schema.CimQualifierType;
import org.vamt.cim.schema.CimSchema;

class MofCompilerTest {
    private static MofResult sample;

    @BeforeAll
    static void compileSample() throws MofException {
        sample = MofCompiler.compile(TestMof.resource("sample.mof"), "sample.mof", null);
    }

    private static CimClassDef classDef(String name) {
        return sample.classes().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    private static CimPropertyDef property(String className, String name) {
        return classDef(className).properties().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void qualifierDeclarations() {
        assertEquals(List.of("Abstract", "Association", "Description", "In", "Out", "Key", "ValueMap", "MaxLen",
                "Weights"), sample.qualifierTypes().stream().map(CimQualifierType::name).toList());
        assertEquals(new CimQualifierType("Abstract", CimDataType.BOOLEAN, false, false,
                List.of("class", "association", "indication"), List.of("EnableOverride", "Restricted")),
                sample.qualifierTypes().get(0));
        assertEquals(new CimQualifierType("Description", CimDataType.STRING, false, null, List.of("any"),
                List.of("EnableOverride", "ToSubclass", "Translatable")), sample.qualifierTypes().get(2));
        assertEquals(new CimQualifierType("ValueMap", CimDataType.STRING, true, null,
                List.of("property", "method", "parameter"), List.of()), sample.qualifierTypes().get(6));
        assertEquals(new CimQualifierType("Weights", CimDataType.REAL64, true, List.of(1.5, -2.0, 300.0),
                List.of("Property"), List.of()), sample.qualifierTypes().get(8));
    }

    @Test
    void classesInOrderWithSuperclasses() {
        assertEquals(List.of("CIM_ManagedElement", "CIM_ManagedSystemElement", "CIM_Dependency", "CIM_Indication"),
                sample.classes().stream().map(CimClassDef::name).toList());
        assertNull(classDef("CIM_ManagedElement").superClass());
        assertEquals("CIM_ManagedElement", classDef("CIM_ManagedSystemElement").superClass());
        // The model resolves inheritance of what was compiled.
        CimSchema schema = CimSchema.of(sample.classes());
        assertEquals(List.of("InstanceID", "Caption", "Name"),
                schema.properties("CIM_ManagedSystemElement").stream().limit(3).map(CimPropertyDef::name).toList());
    }

    @Test
    void classQualifiersWithStringEscapesAndConcatenation() {
        CimClassDef root = classDef("CIM_ManagedElement");
        assertTrue(root.isAbstract());
        assertEquals("The root of the hierarchy: \"managed\" things.\nSecond\tline \\ with A and \u00e9.",
                root.text("Description").orElseThrow());
    }

    @Test
    void perUseFlavorsAreAcceptedAndDropped() {
        assertEquals(List.of(new CimQualifier("Abstract", null)), classDef("CIM_ManagedSystemElement").qualifiers());
        assertEquals(List.of(new CimQualifier("Key", null), new CimQualifier("Description", "Name")),
                property("CIM_ManagedSystemElement", "Name").qualifiers());
    }

    @Test
    void propertiesWithTypesArraysAndDefaults() {
        assertEquals(new CimPropertyDef("InstanceID", CimDataType.STRING, null, false, null,
                List.of(new CimQualifier("Description", "An opaque id"), new CimQualifier("MaxLen", 256L))),
                property("CIM_ManagedElement", "InstanceID"));
        assertEquals(new CimPropertyDef("OperationalStatus", CimDataType.UINT16, null, true,
                List.of(2L, 16L, 5L, 493L), List.of()), property("CIM_ManagedSystemElement", "OperationalStatus"));
        assertEquals(new CimPropertyDef("Fixed", CimDataType.UINT8, null, true, null, List.of()),
                property("CIM_ManagedSystemElement", "Fixed"));
        assertEquals(-42L, property("CIM_ManagedSystemElement", "Offset").defaultValue());
        assertEquals(0.25, property("CIM_ManagedSystemElement", "Ratio").defaultValue());
        assertEquals(3.0, property("CIM_ManagedSystemElement", "Whole").defaultValue(), "integer widened for real64");
        assertEquals(true, property("CIM_ManagedSystemElement", "Enabled").defaultValue());
        assertEquals("x", property("CIM_ManagedSystemElement", "Letter").defaultValue());
        assertEquals("\n", property("CIM_ManagedSystemElement", "Newline").defaultValue());
        assertEquals(CimDataType.DATETIME, property("CIM_ManagedSystemElement", "Installed").type());
        assertNull(property("CIM_ManagedSystemElement", "Nothing").defaultValue());
        assertEquals(Arrays.asList("ab", null, ""), property("CIM_ManagedSystemElement", "Names").defaultValue());
        assertEquals(Long.MAX_VALUE, property("CIM_Indication", "Big").defaultValue());
        assertEquals(-128L, property("CIM_Indication", "Low").defaultValue());
    }

    @Test
    void methodsWithParameters() {
        CimMethodDef method = classDef("CIM_ManagedSystemElement").methods().get(0);
        assertEquals("RequestPowerStateChange", method.name());
        assertEquals(CimDataType.UINT32, method.returnType());
        assertEquals(List.of("0", "1", "..", "32768..65535"), method.qualifier("ValueMap").orElseThrow().value());
        assertEquals(List.of(
                new CimParameterDef("PowerState", CimDataType.UINT16, null, false,
                        List.of(new CimQualifier("In", null), new CimQualifier("ValueMap", List.of("2", "8")))),
                new CimParameterDef("ManagedElement", CimDataType.REFERENCE, "CIM_ManagedElement", false,
                        List.of(new CimQualifier("In", null))),
                new CimParameterDef("X", CimDataType.STRING, null, true,
                        List.of(new CimQualifier("In", null), new CimQualifier("Out", null))),
                new CimParameterDef("Jobs", CimDataType.REFERENCE, "CIM_ManagedElement", true,
                        List.of(new CimQualifier("IN", false), new CimQualifier("OUT", null)))),
                method.parameters());
        CimParameterDef jobs = method.parameters().get(3);
        assertFalse(jobs.isIn());
        assertTrue(jobs.isOut());
        CimMethodDef noParameters = classDef("CIM_ManagedSystemElement").methods().get(1);
        assertEquals(new CimMethodDef("NoParameters", CimDataType.BOOLEAN, List.of(), List.of()), noParameters);
    }

    @Test
    void associationWithReferences() {
        CimClassDef dependency = classDef("CIM_Dependency");
        assertTrue(dependency.isAssociation());
        assertEquals(new CimPropertyDef("Antecedent", CimDataType.REFERENCE, "CIM_ManagedElement", false, null,
                List.of(new CimQualifier("Key", null))), dependency.properties().get(0));
        CimPropertyDef dependent = dependency.properties().get(1);
        assertEquals("CIM_ManagedElement", dependent.referenceClass());
        assertEquals("CIM_ManagedElement.InstanceID=\"x\"", dependent.defaultValue());
        assertEquals(new CimQualifier("Override", "Dependent"), dependent.qualifiers().get(1));
    }

    @Test
    void qualifierValueForms() {
        assertEquals(List.of(new CimQualifier("Indication", null), new CimQualifier("Abstract", true),
                new CimQualifier("Deprecated", List.of("CIM_Other")), new CimQualifier("Empty", List.of()),
                new CimQualifier("Flags", false)), classDef("CIM_Indication").qualifiers());
    }

    static Stream<Arguments> literals() {
        return Stream.of(
                Arguments.of("\"plain\"", "plain"),
                Arguments.of("\"a\" \"b\" /* between */ \"c\"", "abc"),
                Arguments.of("\"\\b\\t\\n\\f\\r\\\"\\'\\\\\"", "\b\t\n\f\r\"'\\"),
                Arguments.of("\"\\x41\\X42\\x0043x\"", "ABCx"),
                Arguments.of("\"\\x12345\"", "\u12345"),
                Arguments.of("'c'", "c"),
                Arguments.of("'\\x41'", "A"),
                Arguments.of("0", 0L),
                Arguments.of("-17", -17L),
                Arguments.of("+17", 17L),
                Arguments.of("0x1F", 31L),
                Arguments.of("-0X1f", -31L),
                Arguments.of("101b", 5L),
                Arguments.of("-11B", -3L),
                Arguments.of("0755", 493L),
                Arguments.of("-9223372036854775808", Long.MIN_VALUE),
                Arguments.of("1.5", 1.5),
                Arguments.of("-.5", -0.5),
                Arguments.of("2.5E-3", 0.0025),
                Arguments.of("1e3", 1000.0),
                Arguments.of("TRUE", true),
                Arguments.of("False", false),
                Arguments.of("Null", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("literals")
    void literalValues(String literal, Object expected) throws MofException {
        MofResult result = TestMof.compile("[Q(" + literal + ")] class A { };");
        assertEquals(expected, result.classes().get(0).qualifiers().get(0).value());
    }

    @Test
    void keywordsAreCaseInsensitiveAndNamesKeepTheirSpelling() throws MofException {
        MofResult result = TestMof.compile(
                "qUaLiFiEr mixedCase : BOOLEAN, sCoPe(ANY), fLaVoR(tosubclass);\n"
                        + "ClAsS lower_case : Upper_Case { STRING sTrInG; Upper_Case rEf R; UINT8 M(); };");
        assertEquals(new CimQualifierType("mixedCase", CimDataType.BOOLEAN, false, null, List.of("ANY"),
                List.of("tosubclass")), result.qualifierTypes().get(0));
        CimClassDef c = result.classes().get(0);
        assertEquals("lower_case", c.name());
        assertEquals("Upper_Case", c.superClass());
        assertEquals("sTrInG", c.properties().get(0).name());
        assertEquals("Upper_Case", c.properties().get(1).referenceClass());
    }

    @Test
    void dsp0221Version3QualifierDeclarationWithoutCommasAndWithPolicy() throws MofException {
        MofResult result = TestMof.compile("Qualifier Key : boolean = false Scope(property, reference) "
                + "Policy(DisableOverride);");
        assertEquals(new CimQualifierType("Key", CimDataType.BOOLEAN, false, false, List.of("property", "reference"),
                List.of("DisableOverride")), result.qualifierTypes().get(0));
    }

    @Test
    void emptyInputAndByteOrderMark() throws MofException {
        assertEquals(new MofResult(List.of(), List.of()), TestMof.compile(""));
        assertEquals(1, TestMof.compile("\uFEFF// only a comment\nclass A{};").classes().size());
    }
}
