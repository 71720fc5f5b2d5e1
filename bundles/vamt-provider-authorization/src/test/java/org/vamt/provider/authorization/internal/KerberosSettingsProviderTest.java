package org.vamt.provider.authorization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** Kerberos as an AMT without it answers (real test driver). */
class KerberosSettingsProviderTest {
    private DemoHypervisor demo;
    private KerberosSettingsProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new KerberosSettingsProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext ctx(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private MethodResult call(String method, Map<String, Object> args) throws CimException {
        CimObjectPath path = provider.enumerateInstances(ctx(DESKTOP_01), "AMT_KerberosSettingData").get(0).path();
        return provider.invokeMethod(ctx(DESKTOP_01), path, method, args);
    }

    @Test
    void kerberosIsOffWithAmtsAlgorithms() throws Exception {
        List<CimInstance> list = provider.enumerateInstances(ctx(DESKTOP_01), "AMT_KerberosSettingData");
        assertEquals(1, list.size());
        assertEquals("Intel (r) AMT: Kerberos Settings", list.get(0).get("InstanceID"));
        assertEquals(Boolean.FALSE, list.get(0).get("KrbEnabled"));
        assertEquals(List.of(0L, 1L, 2L), list.get(0).get("SupportedEncryptionAlgorithms"));
    }

    @Test
    void theCredentialCacheIsOffAndCannotBeTurnedOn() throws Exception {
        MethodResult get = call("GetCredentialCacheState", Map.of());
        assertEquals(0, get.returnValue());
        assertEquals(false, get.outputs().get("Enabled"));
        assertEquals(16, call("SetCredentialCacheState", Map.of("Enabled", true)).returnValue(), "PT_STATUS_NOT_PERMITTED");
        assertEquals(0, call("SetCredentialCacheState", Map.of("Enabled", false)).returnValue());
        assertEquals(false, call("GetCredentialCacheState", Map.of()).outputs().get("Enabled"));
    }

    @Test
    void anUndefinedVmIsNotFound() {
        CimException e = assertThrows(CimException.class,
                () -> provider.enumerateInstances(ctx(DemoHypervisor.UNKNOWN), "AMT_KerberosSettingData"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
    }
}
