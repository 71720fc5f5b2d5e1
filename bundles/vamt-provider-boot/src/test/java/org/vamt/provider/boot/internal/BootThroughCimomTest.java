package org.vamt.provider.boot.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * The providers behind the real CIMOM and the whole vAMT schema, called the way the WS-Management
 * layer calls it for MeshCentral, Intel's toolkit and MAAS: text values, singletons without
 * selectors, references as paths.
 */
class BootThroughCimomTest {
    private static final RequestContext CTX = BootProvidersTest.desktop01();
    private static final CimObjectPath NO_SELECTORS_SETTINGS = CimObjectPath.of("AMT_BootSettingData");

    private DemoHypervisor demo;
    private Hypervisor hv;
    private TestCimom access;
    private CimObjectManager cimom;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        access = new TestCimom()
                .serve(new BootSettingDataProvider(hv), "AMT_BootSettingData")
                .serve(new BootCapabilitiesProvider(), "AMT_BootCapabilities")
                .serve(new BootSourceSettingProvider(), "CIM_BootSourceSetting")
                .serve(new BootConfigSettingProvider(hv), "CIM_BootConfigSetting")
                .serve(new BootServiceProvider(hv), "CIM_BootService");
        cimom = access.manager();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    /** A Put body as the WS-Management layer builds it: every element as text. */
    private static CimInstance body(CimInstance current, Map<String, String> changes, String... removed) {
        CimInstance.Builder b = CimInstance.builder(current.className());
        current.properties().forEach((k, v) -> b.property(k, v instanceof List<?> ? v : String.valueOf(v)));
        changes.forEach(b::property);
        for (String r : removed) {
            b.property(r, null);
        }
        return b.build();
    }

    private boolean writable(String property) {
        return access.property("AMT_BootSettingData", property).map(CimPropertyDef::isWritable).orElse(false);
    }

    private static CimStatus statusOf(org.junit.jupiter.api.function.Executable e) {
        return org.junit.jupiter.api.Assertions.assertThrows(CimException.class, e).status();
    }

    @Test
    void singletonsAnswerWithAndWithoutSelectors() throws Exception {
        CimInstance settings = cimom.getInstance(CTX, NO_SELECTORS_SETTINGS);
        assertEquals("Intel(r) AMT:BootSettingData 0", settings.get("InstanceID"));
        assertEquals(settings, cimom.getInstance(CTX, CimObjectPath.of("AMT_BootSettingData", "InstanceID",
                "Intel(r) AMT:BootSettingData 0")));
        assertEquals(Boolean.TRUE, cimom.getInstance(CTX, CimObjectPath.of("AMT_BootCapabilities")).get("ForcePXEBoot"));
        assertEquals(32768L, cimom.getInstance(CTX, CimObjectPath.of("CIM_BootService")).get("EnabledState"));
        assertEquals(BootNames.CONFIG_ID, cimom.getInstance(CTX, CimObjectPath.of("CIM_BootConfigSetting"))
                .get("InstanceID"));
        assertEquals(3, cimom.enumerateInstances(CTX, "CIM_BootSourceSetting").size());
        assertEquals(BootProvidersTest.HDD, cimom.getInstance(CTX, CimObjectPath.of("CIM_BootSourceSetting"))
                .get("InstanceID"), "first instance");
        // the abstract superclass enumerates the AMT subclass
        assertEquals(List.of(settings), cimom.enumerateInstances(CTX, "CIM_BootSettingData"));
    }

    @Test
    void unchangedWholeInstancePutsAreAccepted() throws Exception {
        CimInstance current = cimom.getInstance(CTX, NO_SELECTORS_SETTINGS);
        // MeshCommander: the instance back without its read-only extras, no selectors
        assertEquals(current, cimom.modifyInstance(CTX, NO_SELECTORS_SETTINGS, body(current, Map.of(),
                "OptionsCleared", "WinREBootEnabled", "UEFILocalPBABootEnabled", "UEFIHTTPSBootEnabled",
                "SecureBootControlEnabled", "RPEEnabled", "BootguardStatus", "UefiBootNumberOfParams",
                "UefiBootParametersArray", "BIOSLastStatus")));
        // Intel's Go client: every property (OptionsCleared true, empty octets), InstanceID selector
        Map<String, String> dmt = new LinkedHashMap<>();
        dmt.put("OptionsCleared", "true");
        dmt.put("UefiBootParametersArray", "");
        dmt.put("RSEPassword", "");
        assertEquals(current, cimom.modifyInstance(CTX, CimObjectPath.of("AMT_BootSettingData", "InstanceID",
                "Intel(r) AMT:BootSettingData 0"), body(current, dmt)));
        assertEquals(null, hv.readState(DESKTOP_01, "boot", java.util.Set.of()).json());
    }

    @Test
    void unsupportedOptionIsRefused() throws Exception {
        CimInstance current = cimom.getInstance(CTX, NO_SELECTORS_SETTINGS);
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> cimom.modifyInstance(CTX, NO_SELECTORS_SETTINGS,
                body(current, Map.of("BIOSSetup", "true")))));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> cimom.modifyInstance(CTX, NO_SELECTORS_SETTINGS,
                body(current, Map.of("UseIDER", "true", "IDERBootDevice", "0")))));
        assertEquals(current, cimom.getInstance(CTX, NO_SELECTORS_SETTINGS));
    }

    @Test
    void useSolPutReachesTheProvider() throws Exception {
        assertTrue(writable("UseSOL"), "AMT_BootSettingData.UseSOL must be [Write] in the MOF, or the CIMOM "
                + "refuses every change to AMT_BootSettingData before the provider sees it");
        CimInstance current = cimom.getInstance(CTX, NO_SELECTORS_SETTINGS);
        CimInstance answer = cimom.modifyInstance(CTX, NO_SELECTORS_SETTINGS, body(current, Map.of("UseSOL", "true")));
        assertEquals(Boolean.TRUE, answer.get("UseSOL"));
        assertEquals(Boolean.TRUE, cimom.getInstance(CTX, NO_SELECTORS_SETTINGS).get("UseSOL"));
    }

    @Test
    void meshCentralSequenceWithoutSelectors() throws Exception {
        CimObjectPath service = CimObjectPath.of("CIM_BootService");
        CimObjectPath config = CimObjectPath.of("CIM_BootConfigSetting");
        assertEquals(0, cimom.invokeMethod(CTX, service, "SetBootConfigRole", Map.of("BootConfigSetting",
                BootProvidersTest.bootConfig(BootNames.CONFIG_ID), "Role", "1")).returnValue());
        // one Source element arrives as a single reference; the CIMOM makes the array
        assertEquals(0, cimom.invokeMethod(CTX, config, "ChangeBootOrder",
                Map.of("Source", BootProvidersTest.source(BootProvidersTest.PXE))).returnValue());
        assertEquals(Optional.of(BootDevice.NETWORK), hv.nextBootDevice(DESKTOP_01));
        // MeshCommander's plain power actions: ChangeBootOrder with an empty body
        assertEquals(0, cimom.invokeMethod(CTX, config, "ChangeBootOrder", Map.of()).returnValue());
        assertEquals(Optional.empty(), hv.nextBootDevice(DESKTOP_01));
    }

    @Test
    void maasSequenceWithFullSelectors() throws Exception {
        Map<String, Object> serviceKeys = new LinkedHashMap<>();
        serviceKeys.put("CreationClassName", "CIM_BootService");
        serviceKeys.put("Name", "Intel(r) AMT Boot Service");
        serviceKeys.put("SystemCreationClassName", "CIM_ComputerSystem");
        serviceKeys.put("SystemName", "Intel(r) AMT");
        CimObjectPath config = CimObjectPath.of("CIM_BootConfigSetting", "InstanceID", BootNames.CONFIG_ID);
        assertEquals(0, cimom.invokeMethod(CTX, config, "ChangeBootOrder",
                Map.of("Source", BootProvidersTest.source(BootProvidersTest.PXE))).returnValue());
        assertEquals(0, cimom.invokeMethod(CTX, new CimObjectPath("CIM_BootService", serviceKeys), "SetBootConfigRole",
                Map.of("BootConfigSetting", config, "Role", "1")).returnValue());
        assertEquals(Optional.of(BootDevice.NETWORK), hv.nextBootDevice(DESKTOP_01));
        assertEquals(4, cimom.invokeMethod(CTX, config, "ChangeBootOrder",
                Map.of("Source", BootProvidersTest.source("Floppy"))).returnValue(), "not a source: Invalid Reference");
        assertEquals(Optional.of(BootDevice.NETWORK), hv.nextBootDevice(DESKTOP_01));
    }
}
