package org.vamt.provider.defense.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.provider.defense.internal.DefenseProvidersTest.NIC;
import static org.vamt.provider.defense.internal.DefenseProvidersTest.NIC_DOWN;
import static org.vamt.provider.defense.internal.DefenseProvidersTest.NPSDP;
import static org.vamt.provider.defense.internal.DefenseProvidersTest.port;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * The components behind the real CIMOM and the whole vAMT schema, registered with the classes
 * their DS descriptions declare, and called as the WS-Management layer calls them for a console:
 * Create bodies as text (with MeshCommander's dummy InstanceID), references as paths, Delete by
 * EPR-valued selectors.
 */
class DefenseThroughCimomTest {
    private static final RequestContext CTX = DefenseProvidersTest.ctx(BUILD_SERVER);

    private DemoHypervisor demo;
    private Hypervisor hv;
    private CimObjectManager cimom;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        TestCimom access = new TestCimom();
        for (CimProvider p : List.of(new EthernetPortProvider(hv), new SystemDefensePolicyProvider(hv),
                new NetworkFilterProvider(hv), new PortPolicyProvider(hv))) {
            access.serve(p, declaredClasses(p.getClass()));
        }
        cimom = access.manager();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    /** The vamt.cim.classes of a component, from the DS description bnd generated. */
    static String[] declaredClasses(Class<?> component) throws Exception {
        String name = "OSGI-INF/" + component.getName() + ".xml";
        String xml;
        try (InputStream in = component.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name);
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher many = Pattern.compile("<property name=\"vamt.cim.classes\" type=\"String\">([^<]*)</property>")
                .matcher(xml);
        if (many.find()) {
            return many.group(1).trim().split("\\s*\\n\\s*");
        }
        Matcher one = Pattern.compile("<property name=\"vamt.cim.classes\"[^>]*value=\"([^\"]*)\"").matcher(xml);
        assertTrue(one.find(), xml);
        return new String[] {one.group(1)};
    }

    private boolean linkUp(String mac) throws Exception {
        return hv.hardware(BUILD_SERVER).nics().stream().filter(n -> n.mac().equals(mac)).findFirst().orElseThrow()
                .linkUp();
    }

    /** A Create body as the WS-Management layer hands it over: every value as text. */
    private static CimInstance body(String className, Object... nameValues) {
        CimInstance.Builder b = CimInstance.builder(className);
        for (int i = 0; i < nameValues.length; i += 2) {
            b.property((String) nameValues[i], nameValues[i + 1]);
        }
        return b.build();
    }

    @Test
    void consoleIsolatesTheVmAndLiftsTheIsolation() throws Exception {
        CimObjectPath filter = cimom.createInstance(CTX, body("AMT_IPHeadersFilter", "InstanceID", "0", "Name", "dns",
                "HdrIPVersion", "4", "HdrProtocolID", "17", "HdrDestPortStart", "53", "HdrDestPortEnd", "53",
                "FilterProfile", "4", "FilterDirection", "0", "ActionEventOnMatch", "false"));
        assertEquals("Intel(r) AMT:Handle:1", filter.key("InstanceID"));
        CimObjectPath policy = cimom.createInstance(CTX, body("AMT_SystemDefensePolicy", "InstanceID", "0",
                "PolicyName", "Isolate", "PolicyPrecedence", "0", "AntiSpoofingSupport", "0",
                "FilterCreationHandles", List.of("1"),
                "TxDefaultDrop", "true", "TxDefaultMatchEvent", "false", "TxDefaultCount", "true",
                "RxDefaultDrop", "true", "RxDefaultMatchEvent", "false", "RxDefaultCount", "true"));
        assertEquals(CimObjectPath.of("AMT_SystemDefensePolicy", "InstanceID", "Intel(r) AMT:Handle:2"), policy);
        CimInstance typed = cimom.getInstance(CTX, policy);
        assertEquals(List.of(1L), typed.get("FilterCreationHandles"));
        assertEquals(Boolean.TRUE, typed.get("TxDefaultDrop"));

        CimObjectPath link = cimom.createInstance(CTX, body(NPSDP, "Antecedent", port(0), "Dependent", policy));
        assertFalse(linkUp(NIC));
        assertFalse(linkUp(NIC_DOWN));
        CimInstance got = cimom.getInstance(CTX, link);
        assertEquals(Boolean.TRUE, got.get("Active"));
        assertEquals(List.of(got), cimom.enumerateInstances(CTX, "AMT_InterfacePolicy"));

        CimException inUse = assertThrows(CimException.class, () -> cimom.deleteInstance(CTX, policy));
        assertEquals(CimStatus.FAILED, inUse.status());
        assertTrue(inUse.getMessage().contains("in use"), inUse.getMessage());

        // Delete as consoles send it: both EPRs as selectors; the port EPR may carry DeviceID only
        Map<String, Object> selectors = new LinkedHashMap<>();
        selectors.put("Antecedent", CimObjectPath.of("CIM_EthernetPort", "DeviceID", "Intel(r) AMT Ethernet Port 0"));
        selectors.put("Dependent", policy);
        cimom.deleteInstance(CTX, new CimObjectPath(NPSDP, selectors));
        assertTrue(linkUp(NIC));
        assertFalse(linkUp(NIC_DOWN));
        assertTrue(cimom.enumerateInstances(CTX, NPSDP).isEmpty());
        cimom.deleteInstance(CTX, policy);
        cimom.deleteInstance(CTX, filter);
        assertTrue(cimom.enumerateInstances(CTX, "AMT_FilterEntryBase").isEmpty());
    }

    @Test
    void classesAnswerThroughTheirSuperclasses() throws Exception {
        assertEquals(2, cimom.enumerateInstances(CTX, "CIM_NetworkPort").size());
        assertEquals("CIM_EthernetPort", cimom.enumerateInstances(CTX, "CIM_LogicalPort").get(0).className());
        // AMT_Hdr8021Filter MACs are [OctetString] uint8[]: base64 text on the wire
        CimObjectPath arp = cimom.createInstance(CTX, body("AMT_Hdr8021Filter", "Name", "arp",
                "HdrSrcMACAddr8021", "UlQAoAAD", "HdrProtocolID8021", "2054", "FilterProfile", "3",
                "FilterDirection", "1", "ActionEventOnMatch", "true"));
        cimom.createInstance(CTX, body("AMT_IPHeadersFilter", "Name", "web", "HdrIPVersion", "4",
                "HdrSrcAddress", "0A000001", "FilterProfile", "0", "FilterDirection", "0", "ActionEventOnMatch", "false"));
        List<CimInstance> all = cimom.enumerateInstances(CTX, "AMT_FilterEntryBase");
        assertEquals(List.of("AMT_Hdr8021Filter", "AMT_IPHeadersFilter"), all.stream().map(CimInstance::className)
                .toList());
        assertEquals(2, cimom.enumerateInstances(CTX, "AMT_ComplexFilterEntryBase").size());
        assertEquals(1, cimom.enumerateInstances(CTX, "AMT_IPHeadersFilter").size());
        assertTrue(cimom.enumerateInstances(CTX, "AMT_NetworkFilter").isEmpty());
        CimInstance mac = cimom.getInstance(CTX, arp);
        assertEquals("UlQAoAAD", mac.get("HdrSrcMACAddr8021"));
        assertEquals(2054L, mac.get("HdrProtocolID8021"));
        assertEquals("0A000001", all.get(1).get("HdrSrcAddress"));
        // a console that omits a [Required] flag gets wxf:InvalidRepresentation (INVALID_PARAMETER)
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> cimom.createInstance(CTX,
                body("AMT_SystemDefensePolicy", "PolicyPrecedence", "1", "TxDefaultDrop", "true"))).status());
    }
}
