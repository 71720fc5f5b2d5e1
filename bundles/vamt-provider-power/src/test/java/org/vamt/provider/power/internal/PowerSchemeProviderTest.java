package org.vamt.provider.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** AMT 16 desktop power packages (real test driver). */
class PowerSchemeProviderTest {
    private DemoHypervisor demo;
    private PowerSchemeProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new PowerSchemeProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext ctx(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    @Test
    void theTwoDesktopPackagesWithIntelsGuids() throws Exception {
        List<CimInstance> list = provider.enumerateInstances(ctx(DESKTOP_01), "AMT_SystemPowerScheme");
        assertEquals(2, list.size());
        assertEquals("SCHEME 0", list.get(0).get("InstanceID"));
        assertEquals("Desktop: ON in S0", list.get(0).get("Description"));
        // 94 4F 83 12 FB 10 4F DC 96 8E 1E 23 2B 0C 90 65
        assertEquals("lE+DEvsQT9yWjh4jKwyQZQ==", list.get(0).get("SchemeGUID"));
        assertEquals("SCHEME 1", list.get(1).get("InstanceID"));
        assertEquals("Desktop: ON in S0, ME Wake in S3, S4-5", list.get(1).get("Description"));
        assertEquals("cyJzRiPcQy+pihPTeYLYVQ==", list.get(1).get("SchemeGUID"));
        for (CimInstance i : list) {
            assertEquals("Intel(r) AMT Power Scheme", i.get("ElementName"));
        }
        assertEquals(list, provider.enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemPowerScheme"),
                "the same packages whether the VM runs or not");
    }

    @Test
    void setPowerSchemeSucceedsOnEitherPackage() throws Exception {
        for (CimInstance i : provider.enumerateInstances(ctx(DESKTOP_01), "AMT_SystemPowerScheme")) {
            assertEquals(0, provider.invokeMethod(ctx(DESKTOP_01), i.path(), "SetPowerScheme", Map.of()).returnValue());
        }
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class,
                () -> provider.enumerateInstances(ctx(DemoHypervisor.UNKNOWN), "AMT_SystemPowerScheme"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
