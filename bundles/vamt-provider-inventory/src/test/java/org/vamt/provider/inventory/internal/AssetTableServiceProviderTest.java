package org.vamt.provider.inventory.internal;

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
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** AMT's asset table service (real test driver). */
class AssetTableServiceProviderTest {
    private DemoHypervisor demo;
    private AssetTableServiceProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new AssetTableServiceProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext ctx(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    @Test
    void theServiceHasAmtsKeysAndNoRawTables() throws Exception {
        List<CimInstance> list = provider.enumerateInstances(ctx(DESKTOP_01), "AMT_AssetTableService");
        assertEquals(1, list.size());
        CimInstance s = list.get(0);
        assertEquals("Intel(r) AMT Asset Table Service", s.get("Name"));
        assertEquals("AMT_AssetTableService", s.get("CreationClassName"));
        assertEquals("CIM_ComputerSystem", s.get("SystemCreationClassName"));
        assertEquals("Intel(r) AMT", s.get("SystemName"));
        assertTrue(s.get("TableTypes") == null, "no AMT_AssetTable is served");
        assertEquals(0, provider.invokeMethod(ctx(DESKTOP_01), s.path(), "RequestMediaDeviceTableUpdate",
                Map.of("FullUpdate", true, "Sticky", false)).returnValue());
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class,
                () -> provider.enumerateInstances(ctx(DemoHypervisor.UNKNOWN), "AMT_AssetTableService"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
