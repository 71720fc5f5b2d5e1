package org.vamt.provider.settings.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;

/** GeneralSettingsProvider: answers from the request context alone, no hypervisor. */
class GeneralSettingsProviderTest {
    private static final String UUID_1 = "6f8c1a52-4b1e-4d6a-9a01-000000000001";
    private static final String UUID_2 = "6f8c1a52-4b1e-4d6a-9a01-000000000002";
    private static final String REALM_1 = "Digest:6F8C1A524B1E4D6A9A01000000000001";
    private static final String REALM_2 = "Digest:6F8C1A524B1E4D6A9A01000000000002";

    private org.vamt.libvirt.internal.DemoHypervisor demo;
    private GeneralSettingsProvider provider;

    @org.junit.jupiter.api.BeforeEach
    void start() throws Exception {
        demo = org.vamt.libvirt.internal.DemoHypervisor.start();
        provider = new GeneralSettingsProvider(demo.hypervisor());
    }

    @org.junit.jupiter.api.AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext ctx(String uuid, String name, String realm) {
        return new RequestContext(uuid, name, "admin", realm);
    }

    private CimInstance only(RequestContext ctx, String className) throws org.vamt.cim.CimException {
        List<CimInstance> list = provider.enumerateInstances(ctx, className);
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

    private CimInstance settings(String name) throws Exception {
        return only(ctx(UUID_1, name, REALM_1), "AMT_GeneralSettings");
    }

    // ---------------------------------------------------------------- provisioning log, crypto

    @Test
    void provisioningRecordLogIsAmtsLogWithoutARecord() throws Exception {
        CimInstance log = only(ctx(UUID_1, "vm", REALM_1), "IPS_ProvisioningRecordLog");
        assertEquals("Intel(r) AMT: RecordLog 1", log.get("InstanceID"));
        assertEquals("Intel(r) AMT Provisioning Record Log", log.get("Name"));
        assertEquals(0L, log.get("CurrentNumberOfRecords"), "nobody provisioned the VM's AMT: no record to invent");
        assertEquals(1L, log.get("MaxNumberOfRecords"));
        assertEquals(4L, log.get("LogState"));
        assertEquals(2L, log.get("OverwritePolicy"));
    }

    @Test
    void cryptographicCapabilitiesAsAmtAnswers() throws Exception {
        CimInstance c = only(ctx(UUID_1, "vm", REALM_1), "AMT_CryptographicCapabilities");
        assertEquals("Intel(r) AMT: Cryptographic Capabilities 0", c.get("InstanceID"));
        assertEquals("Intel(r) AMT: Cryptographic Capabilities", c.get("ElementName"));
        assertEquals(1L, c.get("HardwareAcceleration"));
    }

    // ---------------------------------------------------------------- AMT_GeneralSettings

    @Test
    void digestRealmIsTheEndpointsRealm() throws Exception {
        CimInstance s1 = only(ctx(UUID_1, "desktop-01", REALM_1), "AMT_GeneralSettings");
        CimInstance s2 = only(ctx(UUID_2, "desktop-02", REALM_2), "amt_generalsettings");
        assertEquals(REALM_1, s1.get("DigestRealm"));
        assertEquals(REALM_2, s2.get("DigestRealm"));
        assertEquals("AMT_GeneralSettings", s1.className());
        assertEquals("Intel(r) AMT: General Settings", s1.get("InstanceID"));
        assertEquals(java.util.Set.of("InstanceID"), s1.keyNames());
        assertEquals(1L, s1.get("AMTNetworkEnabled"));
    }

    @Test
    void hostNameFromVmName() throws Exception {
        assertEquals("desktop-01", settings("desktop-01").get("HostName"));
        assertEquals("my-vm-01", settings("My VM_01!").get("HostName"));
        assertEquals("build-server", settings("--Build.Server--").get("HostName"));
        assertEquals("b-ro", settings("Büro").get("HostName"));
        assertEquals("vm", settings("!!!").get("HostName"));
    }

    @Test
    void hostNameIsAtMost63CharactersAndAValidLabel() throws Exception {
        String long70 = "a".repeat(70);
        assertEquals("a".repeat(63), GeneralSettingsProvider.hostName(long70));
        // the cut must not leave a trailing hyphen, which a DNS label may not have
        String h = GeneralSettingsProvider.hostName("a".repeat(62) + " tail");
        assertEquals("a".repeat(62), h);
        for (String name : List.of("a".repeat(62) + " tail", "x".repeat(61) + "__yz", "My VM_01!", "-")) {
            String label = GeneralSettingsProvider.hostName(name);
            assertTrue(label.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"), name + " -> " + label);
        }
    }

    // ---------------------------------------------------------------- IPS_HostBasedSetupService

    @Test
    void hostBasedSetupServiceInAdminControlMode() throws Exception {
        CimInstance s = only(ctx(UUID_1, "desktop-01", REALM_1), "IPS_HostBasedSetupService");
        assertEquals("IPS_HostBasedSetupService", s.className());
        assertEquals(2L, s.get("CurrentControlMode"));
        assertEquals(List.of(2L, 1L), s.get("AllowedControlModes"));
        assertEquals("Intel(r) AMT Host Based Setup Service", s.get("Name"));
        assertEquals("Intel(r) AMT", s.get("SystemName"));
    }

    @Test
    void configurationNonceIsStablePerVm() throws Exception {
        Object n1 = only(ctx(UUID_1, "desktop-01", REALM_1), "IPS_HostBasedSetupService").get("ConfigurationNonce");
        Object again = only(ctx(UUID_1, "renamed", "Digest:other"), "IPS_HostBasedSetupService")
                .get("ConfigurationNonce");
        Object n2 = only(ctx(UUID_2, "desktop-01", REALM_1), "IPS_HostBasedSetupService").get("ConfigurationNonce");
        assertEquals(n1, again);
        assertNotEquals(n1, n2);
        assertEquals(20, Base64.getDecoder().decode((String) n1).length);   // a SHA-1 digest
        assertEquals(20, Base64.getDecoder().decode((String) n2).length);
    }

    // ---------------------------------------------------------------- AMT_SetupAndConfigurationService

    @Test
    void setupAndConfigurationServiceIsProvisioned() throws Exception {
        CimInstance s = only(ctx(UUID_1, "desktop-01", REALM_1), "AMT_SetupAndConfigurationService");
        assertEquals("AMT_SetupAndConfigurationService", s.className());
        assertEquals(2L, s.get("ProvisioningState"));
        assertEquals(1L, s.get("ProvisioningMode"));
        assertEquals(false, s.get("ZeroTouchConfigurationEnabled"));
        // a provisioned AMT reports 32 zero bytes (no one-time password is ever held)
        assertEquals("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", s.get("ProvisioningServerOTP"));
        assertEquals(32, Base64.getDecoder().decode((String) s.get("ProvisioningServerOTP")).length);
    }

    @Test
    void commitChangesSucceeds() throws Exception {
        RequestContext ctx = ctx(UUID_1, "desktop-01", REALM_1);
        CimObjectPath target = only(ctx, "AMT_SetupAndConfigurationService").path();
        MethodResult r = provider.invokeMethod(ctx, target, "CommitChanges", Map.of());
        assertEquals(0, r.returnValue());
        assertTrue(r.outputs().isEmpty());
        assertEquals(0, provider.invokeMethod(ctx, target, "commitchanges", Map.of()).returnValue());
    }

    @Test
    void otherMethodsAreNotAvailable() throws Exception {
        RequestContext ctx = ctx(UUID_1, "desktop-01", REALM_1);
        CimObjectPath setup = only(ctx, "AMT_SetupAndConfigurationService").path();
        CimObjectPath hbs = only(ctx, "IPS_HostBasedSetupService").path();
        CimObjectPath general = only(ctx, "AMT_GeneralSettings").path();
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, assertThrows(CimException.class,
                () -> provider.invokeMethod(ctx, setup, "Unprovision", Map.of("ProvisioningMode", 1L))).status());
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, assertThrows(CimException.class,
                () -> provider.invokeMethod(ctx, hbs, "Setup", Map.of())).status());
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, assertThrows(CimException.class,
                () -> provider.invokeMethod(ctx, general, "CommitChanges", Map.of())).status());
    }

    @Test
    void hostOsFqdnAndIdleWakeTimeoutAsAmtReportsThem() throws Exception {
        CimInstance s = settings("desktop-01");
        assertEquals("desktop-01", s.get("HostOSFQDN"), "no domain: the host name alone");
        assertEquals(65535L, s.get("IdleWakeTimeout"));
    }

    @Test
    void putOfTheHostNameIsKeptWithTheVm() throws Exception {
        RequestContext ctx = ctx(UUID_1, "desktop-01", REALM_1);
        CimInstance current = only(ctx, "AMT_GeneralSettings");
        CimInstance changed = current.toBuilder().property("HostName", "reception").property("DomainName", "corp.example")
                .build();
        CimInstance answer = provider.modifyInstance(ctx, current, changed);
        assertEquals("reception", answer.get("HostName"));
        assertEquals("reception.corp.example", answer.get("HostOSFQDN"), "SharedFQDN: the host's FQDN is AMT's");
        GeneralSettingsProvider restarted = new GeneralSettingsProvider(demo.hypervisor());
        CimInstance again = restarted.enumerateInstances(ctx, "AMT_GeneralSettings").get(0);
        assertEquals("reception", again.get("HostName"));
        assertEquals("corp.example", again.get("DomainName"));
        assertEquals("desktop-02", only(ctx(UUID_2, "desktop-02", REALM_2), "AMT_GeneralSettings").get("HostName"),
                "another VM keeps its own settings");
        CimInstance bad = current.toBuilder().property("HostName", "not a host!").build();
        org.vamt.cim.CimException e = org.junit.jupiter.api.Assertions.assertThrows(org.vamt.cim.CimException.class,
                () -> provider.modifyInstance(ctx, current, bad));
        assertEquals(org.vamt.cim.CimStatus.INVALID_PARAMETER, e.status());
    }

    @Test
    void putsFromTwoConsolesBasedOnTheSameGetBothStay() throws Exception {
        RequestContext ctx = ctx(UUID_1, "desktop-01", REALM_1);
        CimInstance current = only(ctx, "AMT_GeneralSettings");
        // console A and console B (another gateway) read the same instance, then each changes one property
        provider.modifyInstance(ctx, current, current.toBuilder().property("HostName", "reception").build());
        new GeneralSettingsProvider(demo.hypervisor()).modifyInstance(ctx, current,
                current.toBuilder().property("DomainName", "corp.example").build());
        CimInstance now = only(ctx, "AMT_GeneralSettings");
        assertEquals("reception", now.get("HostName"));
        assertEquals("corp.example", now.get("DomainName"));
    }

    @Test
    void oldFormatSettingsAreMigrated() throws Exception {
        demo.putLegacy(UUID_1, "settings.general", "#Fri Dec 04\nHostName=front-desk\nDomainName=old.example\n");
        CimInstance s = settings("desktop-01");
        assertEquals("front-desk", s.get("HostName"));
        assertEquals("old.example", s.get("DomainName"));
        String json = demo.hypervisor().readState(UUID_1, "settings", java.util.Set.of()).json();
        assertEquals("{\"written\":{\"DomainName\":\"old.example\",\"HostName\":\"front-desk\"}}", json);
        org.junit.jupiter.api.Assertions.assertFalse(demo.hypervisor().definitionXml(UUID_1).contains("settings.general"));
    }
}
