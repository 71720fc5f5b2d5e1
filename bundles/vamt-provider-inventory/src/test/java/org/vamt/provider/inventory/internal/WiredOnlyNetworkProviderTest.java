package org.vamt.provider.inventory.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** Wireless and 802.1X of the demo VMs, as a wired-only AMT desktop answers them (real test driver). */
class WiredOnlyNetworkProviderTest {
    private DemoHypervisor demo;
    private WiredOnlyNetworkProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new WiredOnlyNetworkProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private List<CimInstance> list(String uuid, String className) throws CimException {
        return provider.enumerateInstances(new RequestContext(uuid, "vm", "admin", "Digest:X"), className);
    }

    @Test
    void noWirelessPortEndpointOrProfileEvenWithTwoNics() throws Exception {
        for (String cls : List.of("CIM_WiFiPort", "CIM_WiFiEndpoint", "CIM_WiFiEndpointSettings",
                "AMT_8021xCredentialContext", "IPS_8021xCredentialContext")) {
            assertTrue(list(BUILD_SERVER, cls).isEmpty(), cls);
        }
    }

    @Test
    void wired8021xIsOffAsAmtShipsIt() throws Exception {
        CimInstance profile = list(DESKTOP_01, "AMT_8021XProfile").get(0);
        assertEquals("Intel(r) AMT 802.1x Profile 0", profile.get("InstanceID"));
        assertEquals(Boolean.FALSE, profile.get("Enabled"));
        assertEquals(Boolean.TRUE, profile.get("ActiveInS0"));
        assertEquals(0L, profile.get("PxeTimeout"));
        List<CimInstance> settings = list(DESKTOP_01, "IPS_IEEE8021xSettings");
        assertEquals(1, settings.size());
        assertEquals(3L, settings.get(0).get("Enabled"), "disabled");
        assertEquals(Boolean.FALSE, settings.get(0).get("AvailableInS0"));
        assertEquals(settings, list(DESKTOP_01, "CIM_IEEE8021xSettings"), "the wired settings are the only 802.1X settings");
        assertEquals("IPS_IEEE8021xSettings", list(DESKTOP_01, "CIM_IEEE8021xSettings").get(0).className());
    }

    @Test
    void theWirelessServiceIsThereWithNothingToConfigure() throws Exception {
        List<CimInstance> list = list(DESKTOP_01, "AMT_WiFiPortConfigurationService");
        assertEquals(1, list.size());
        CimInstance s = list.get(0);
        assertEquals("Intel(r) AMT WiFi Port Configuration Service", s.get("Name"));
        assertEquals("Intel(r) AMT WiFiPort Configuration Service", s.get("ElementName"));
        assertEquals("Intel(r) AMT", s.get("SystemName"));
        assertEquals(5L, s.get("EnabledState"));
        assertEquals(12L, s.get("RequestedState"));
        assertEquals(0L, s.get("localProfileSynchronizationEnabled"));
        assertEquals("", s.get("LastConnectedSsidUnderMeControl"));
        assertEquals(Boolean.FALSE, s.get("UEFIWiFiProfileShareEnabled"));
    }

    @Test
    void noConcreteDependencyBetweenServedClasses() throws Exception {
        assertTrue(list(DESKTOP_01, "CIM_ConcreteDependency").isEmpty());
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class, () -> list(DemoHypervisor.UNKNOWN, "CIM_WiFiPort"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
