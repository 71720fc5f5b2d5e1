package org.vamt.provider.tls.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.tls.TlsIdentity;

/**
 * The providers behind the real CIMOM and the whole vAMT schema (the MOF of this change), called
 * as the WS-Management layer calls them: text arguments, references as paths, Delete by path.
 */
class TlsThroughCimomTest {
    private static final RequestContext CTX = new RequestContext(DESKTOP_01, "desktop-01", "admin", "Digest:X");
    private static final CimObjectPath SERVICE = CimObjectPath.of("AMT_PublicKeyManagementService");

    @TempDir
    Path etc;
    private DemoHypervisor demo;
    private TlsIdentity tls;
    private CimObjectManager cimom;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        tls = TlsProvidersTest.identityIn(etc);
        cimom = new TestCimom()
                .serve(new TlsConfigurationProvider(demo.hypervisor(), tls), "AMT_PublicKeyCertificate",
                        "AMT_PublicPrivateKeyPair", "AMT_TLSSettingData", "AMT_TLSCredentialContext",
                        "AMT_TLSProtocolEndpointCollection")
                .serve(new PublicKeyManagementServiceProvider(demo.hypervisor(), tls), "AMT_PublicKeyManagementService")
                .manager();
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    @Test
    void everyClassEnumeratesWithinItsSchema() throws Exception {
        for (String c : List.of("AMT_PublicKeyCertificate", "AMT_PublicPrivateKeyPair", "AMT_TLSSettingData",
                "AMT_TLSCredentialContext", "AMT_TLSProtocolEndpointCollection", "AMT_PublicKeyManagementService")) {
            assertEquals(c.equals("AMT_TLSSettingData") ? 2 : 1, cimom.enumerateInstances(CTX, c).size(), c);
        }
        CimInstance cert = cimom.getInstance(CTX, CimObjectPath.of("AMT_PublicKeyCertificate", "InstanceID",
                "Intel(r) AMT Certificate: Handle: 0"));
        assertEquals(Base64.getEncoder().encodeToString(tls.certificate().getEncoded()), cert.get("X509Certificate"));
    }

    @Test
    void addAndDeleteAsMeshCentralSendsThem() throws Exception {
        // some other certificate: that of a second, independent TLS identity
        String blob = Base64.getEncoder().encodeToString(TlsProvidersTest.identityIn(
                java.nio.file.Files.createDirectory(etc.resolve("other"))).certificate().getEncoded());
        MethodResult added = cimom.invokeMethod(CTX, SERVICE, "AddTrustedRootCertificate",
                Map.of("CertificateBlob", blob));
        assertEquals(0, added.returnValue());
        CimObjectPath created = (CimObjectPath) added.outputs().get("CreatedCertificate");
        assertEquals(true, cimom.getInstance(CTX, created).get("TrustedRootCertficate"));
        assertEquals(2066, cimom.invokeMethod(CTX, SERVICE, "GenerateKeyPair",
                Map.of("KeyAlgorithm", "0", "KeyLength", "2048")).returnValue());

        CimException inUse = assertThrows(CimException.class, () -> cimom.deleteInstance(CTX,
                CimObjectPath.of("AMT_PublicKeyCertificate", "InstanceID", "Intel(r) AMT Certificate: Handle: 0")));
        assertEquals(CimStatus.ACCESS_DENIED, inUse.status());
        cimom.deleteInstance(CTX, created);
        assertEquals(CimStatus.NOT_FOUND, assertThrows(CimException.class, () -> cimom.getInstance(CTX, created))
                .status());
    }

    @Test
    void putOfUnchangedTlsSettingsSucceeds() throws Exception {
        CimObjectPath remote = CimObjectPath.of("AMT_TLSSettingData", "InstanceID", "Intel(r) AMT 802.3 TLS Settings");
        CimInstance body = CimInstance.builder("AMT_TLSSettingData")
                .key("InstanceID", "Intel(r) AMT 802.3 TLS Settings")
                .property("ElementName", "Intel(r) AMT 802.3 TLS Settings")
                .property("Enabled", "true").property("MutualAuthentication", "false")
                .property("AcceptNonSecureConnections", "true").build();
        assertEquals(true, cimom.modifyInstance(CTX, remote, body).get("Enabled"));
        CimInstance off = CimInstance.builder("AMT_TLSSettingData")
                .key("InstanceID", "Intel(r) AMT 802.3 TLS Settings")
                .property("ElementName", "Intel(r) AMT 802.3 TLS Settings")
                .property("Enabled", "false").property("MutualAuthentication", "false")
                .property("AcceptNonSecureConnections", "true").build();
        assertEquals(CimStatus.INVALID_PARAMETER,
                assertThrows(CimException.class, () -> cimom.modifyInstance(CTX, remote, off)).status());
    }
}
