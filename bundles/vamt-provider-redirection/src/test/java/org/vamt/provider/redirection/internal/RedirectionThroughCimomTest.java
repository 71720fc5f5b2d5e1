package org.vamt.provider.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * The four classes behind the real CIMOM and the whole vAMT schema, called the way the
 * WS-Management layer calls them for MeshCentral: singletons without selectors, text values,
 * whole instances sent back in a Put.
 */
class RedirectionThroughCimomTest {
    private static final RequestContext CTX = RedirectionProvidersTest.vm(DESKTOP_01);

    private DemoHypervisor demo;
    private CimObjectManager cimom;
    private OptInServiceProvider optIn;

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path etc;

    @BeforeEach
    void start() throws Exception {
        System.setProperty("karaf.etc", etc.toString());   // the sealing key's home, as in Karaf
        RfbPasswordSeal.reset();
        demo = DemoHypervisor.start();
        optIn = new OptInServiceProvider(demo.hypervisor());
        cimom = new TestCimom()
                .serve(new RedirectionServiceProvider(demo.hypervisor()), "AMT_RedirectionService")
                .serve(new KvmRedirectionSapProvider(demo.hypervisor()), "CIM_KVMRedirectionSAP")
                .serve(new KvmRedirectionSettingDataProvider(demo.hypervisor()), "IPS_KVMRedirectionSettingData")
                .serve(optIn, "IPS_OptInService")
                .manager();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    /** A Put body as the WS-Management layer builds it: every element as text. */
    private static CimInstance body(CimInstance current, Map<String, String> changes) {
        CimInstance.Builder b = CimInstance.builder(current.className());
        current.properties().forEach((k, v) -> b.property(k, v instanceof List<?> ? v : String.valueOf(v)));
        changes.forEach(b::property);
        return b.build();
    }

    private CimInstance put(String className, Map<String, String> changes) throws CimException {
        CimObjectPath path = CimObjectPath.of(className);
        return cimom.modifyInstance(CTX, path, body(cimom.getInstance(CTX, path), changes));
    }

    @Test
    void meshCentralPolicySequence() throws Exception {
        // MeshCentral with an ACM policy: redirection on, listener on, KVM on, consent as the group says
        assertEquals(0, cimom.invokeMethod(CTX, CimObjectPath.of("AMT_RedirectionService"), "RequestStateChange",
                Map.of("RequestedState", "32771")).returnValue());
        CimInstance redirection = put("AMT_RedirectionService", Map.of("ListenerEnabled", "true",
                "EnabledState", "32768"));
        assertEquals(Boolean.TRUE, redirection.get("ListenerEnabled"));
        assertEquals(32771L, redirection.get("EnabledState"), "EnabledState is read-only in a Put");

        assertEquals(6L, cimom.getInstance(CTX, CimObjectPath.of("CIM_KVMRedirectionSAP")).get("EnabledState"));
        assertEquals(0, cimom.invokeMethod(CTX, CimObjectPath.of("CIM_KVMRedirectionSAP"), "RequestStateChange",
                Map.of("RequestedState", "2")).returnValue());

        CimInstance service = put("IPS_OptInService", Map.of("OptInRequired", "1", "OptInState", "4"));
        assertEquals(1L, service.get("OptInRequired"));
        assertEquals(0L, service.get("OptInState"), "OptInState is read-only");
        assertEquals(Boolean.TRUE, cimom.getInstance(CTX, CimObjectPath.of("IPS_KVMRedirectionSettingData"))
                .get("OptInPolicy"));
    }

    @Test
    void consentExchangeWithTextArguments() throws Exception {
        CimObjectPath service = CimObjectPath.of("IPS_OptInService");
        assertEquals(0, cimom.invokeMethod(CTX, service, "StartOptIn", Map.of()).returnValue());
        String code = optIn.displayedCode(DESKTOP_01).orElseThrow().code();
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                service, "SendOptInCode", Map.of("OptInCode", "twelve"))).status());
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> cimom.invokeMethod(CTX,
                service, "SendOptInCode", Map.of())).status(), "OptInCode is required");
        // consoles send the digits as typed, leading zeros included
        assertEquals(0, cimom.invokeMethod(CTX, service, "SendOptInCode", Map.of("OptInCode", code)).returnValue());
        assertEquals(3L, cimom.getInstance(CTX, service).get("OptInState"));
    }

    @Test
    void kvmSettingsPutWithTheEmptyPasswordReadBack() throws Exception {
        CimInstance answer = put("IPS_KVMRedirectionSettingData", Map.of("Is5900PortEnabled", "true",
                "RFBPassword", "Vnc@1234", "EnabledByMEBx", "false"));
        assertEquals(Boolean.TRUE, answer.get("Is5900PortEnabled"));
        assertEquals("", answer.get("RFBPassword"));
        assertEquals(Boolean.TRUE, answer.get("EnabledByMEBx"), "read-only");
        assertEquals(answer, put("IPS_KVMRedirectionSettingData", Map.of()), "an unchanged Put changes nothing");
        assertEquals(java.util.Optional.of("Vnc@1234"), new RedirectionStore(demo.hypervisor()).rfbPassword(DESKTOP_01));
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class,
                () -> put("IPS_KVMRedirectionSettingData", Map.of("RFBPassword", "password"))).status());
    }
}
