package org.vamt.provider.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

/** The VM's screen as AMT's KVM reports screens (real test driver). */
class ScreenSettingsProviderTest {
    private DemoHypervisor demo;
    private ScreenSettingsProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new ScreenSettingsProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private CimInstance screens(String uuid) throws CimException {
        List<CimInstance> list = provider.enumerateInstances(new RequestContext(uuid, "vm", "admin", "Digest:X"),
                "IPS_ScreenSettingData");
        assertEquals(1, list.size());
        return list.get(0);
    }

    @Test
    void aRunningVmHasOneActiveScreenAmongFour() throws Exception {
        CimInstance s = screens(DESKTOP_01);
        assertEquals("Intel(r) Screen Settings", s.get("InstanceID"));
        assertEquals(List.of(true, false, false, false), s.get("IsActive"));
        assertEquals(List.of(0L, -1L, -1L, -1L), s.get("UpperLeftX"));
        assertEquals(List.of(0L, -1L, -1L, -1L), s.get("UpperLeftY"));
        assertEquals(List.of(0L, 0L, 0L, 0L), s.get("ResolutionX"), "the guest's video mode is not known");
        assertEquals(1L, s.get("PrimaryIndex"));
        assertEquals(2L, s.get("SecondaryIndex"));
        assertEquals(3L, s.get("TertiaryIndex"));
        assertEquals(4L, s.get("QuadraryIndex"));
    }

    @Test
    void aShutOffVmHasNoActiveScreen() throws Exception {
        CimInstance s = screens(BUILD_SERVER);
        assertEquals(List.of(false, false, false, false), s.get("IsActive"));
        assertEquals(List.of(-1L, -1L, -1L, -1L), s.get("UpperLeftX"));
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class, () -> screens(DemoHypervisor.UNKNOWN));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
