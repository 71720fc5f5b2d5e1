package org.vamt.provider.tls.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.tls.TlsIdentity;
import org.vamt.tls.internal.TlsIdentityComponent;

/** The certificate store and TLS classes against the real libvirt test driver and a real TLS identity. */
class TlsProvidersTest {
    @TempDir
    Path etc;
    private DemoHypervisor demo;
    private TlsIdentity tls;
    private TlsConfigurationProvider config;
    private PublicKeyManagementServiceProvider service;
    private final CimObjectPath serviceRef = CimObjectPath.of("AMT_PublicKeyManagementService");

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        tls = identityIn(etc);
        config = new TlsConfigurationProvider(demo.hypervisor(), tls);
        service = new PublicKeyManagementServiceProvider(demo.hypervisor(), tls);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    static TlsIdentity identityIn(Path dir) throws Exception {
        TlsIdentityComponent.Config c = (TlsIdentityComponent.Config) Proxy.newProxyInstance(
                TlsProvidersTest.class.getClassLoader(), new Class<?>[] {TlsIdentityComponent.Config.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "keystore" -> dir.resolve("vamt-tls.p12").toString();
                    case "passwordFile" -> dir.resolve("vamt-tls.password").toString();
                    default -> method.getDefaultValue();
                });
        return new TlsIdentityComponent(c);
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private List<CimInstance> enumerate(String uuid, String className) throws Exception {
        return config.enumerateInstances(vm(uuid), className);
    }

    private static String certificate(String cn) throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        X500Name name = new X500Name("CN=" + cn);
        java.util.Date now = new java.util.Date();
        byte[] der = new JcaX509v3CertificateBuilder(name, java.math.BigInteger.TEN, now,
                new java.util.Date(now.getTime() + 86_400_000L), name, pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())).getEncoded();
        return Base64.getEncoder().encodeToString(der);
    }

    @Test
    void theTlsCertificateAndItsKeyAreShownAsAmtShowsThem() throws Exception {
        List<CimInstance> certs = enumerate(DESKTOP_01, "AMT_PublicKeyCertificate");
        assertEquals(1, certs.size());
        CimInstance own = certs.get(0);
        assertEquals("Intel(r) AMT Certificate: Handle: 0", own.get("InstanceID"));
        assertEquals(Base64.getEncoder().encodeToString(tls.certificate().getEncoded()), own.get("X509Certificate"));
        assertEquals(false, own.get("TrustedRootCertficate"));
        assertEquals(true, own.get("ReadOnlyCertificate"));
        assertEquals(tls.certificate().getSubjectX500Principal().getName(), own.get("Subject"));
        assertFalse(((String) own.get("Subject")).contains(", "), "MeshCentral splits names on ','");

        List<CimInstance> keys = enumerate(DESKTOP_01, "AMT_PublicPrivateKeyPair");
        assertEquals(1, keys.size());
        // MeshCentral pairs a key with a certificate when the certificate's public key, as PEM
        // without its first 32 base64 characters (the SubjectPublicKeyInfo header), is the DERKey.
        String spki = Base64.getEncoder().encodeToString(tls.certificate().getPublicKey().getEncoded());
        assertEquals(spki.substring(32), keys.get(0).get("DERKey"));
    }

    @Test
    void theServicesNamesAreAmts() throws Exception {
        CimInstance s = service.enumerateInstances(vm(DESKTOP_01), "AMT_PublicKeyManagementService").get(0);
        assertEquals("Intel(r) AMT Public Key Management Service", s.get("Name"));
        assertEquals("Intel(r) AMT Certificate Store Service", s.get("ElementName"));
        assertEquals(5L, s.get("EnabledDefault"));
        assertEquals("TLSProtocolEndpoint Instances Collection",
                enumerate(DESKTOP_01, "AMT_TLSProtocolEndpointCollection").get(0).get("ElementName"));
    }

    @Test
    void credentialContextAndSettingsSayTlsIsConfigured() throws Exception {
        List<CimInstance> contexts = enumerate(DESKTOP_01, "AMT_TLSCredentialContext");
        assertEquals(1, contexts.size());
        CimObjectPath cert = (CimObjectPath) contexts.get(0).get("ElementInContext");
        assertEquals("AMT_PublicKeyCertificate", cert.className());
        assertEquals(Map.of("InstanceID", "Intel(r) AMT Certificate: Handle: 0"), cert.keys(),
                "one selector, as MeshCentral reads it");
        CimObjectPath endpoints = (CimObjectPath) contexts.get(0).get("ElementProvidingContext");
        assertEquals("AMT_TLSProtocolEndpointCollection", endpoints.className());
        assertEquals("TLSProtocolEndpoint Instances Collection", endpoints.key("ElementName"));
        assertEquals(1, enumerate(DESKTOP_01, "AMT_TLSProtocolEndpointCollection").size());

        List<CimInstance> settings = enumerate(DESKTOP_01, "AMT_TLSSettingData");
        assertEquals(List.of("Intel(r) AMT 802.3 TLS Settings", "Intel(r) AMT LMS TLS Settings"),
                settings.stream().map(s -> s.get("InstanceID")).toList());
        for (CimInstance s : settings) {
            assertEquals(true, s.get("Enabled"));
            assertEquals(false, s.get("MutualAuthentication"));
        }
    }

    @Test
    void addedCertificatesArePerVmAndSurviveTheProvider() throws Exception {
        MethodResult root = service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddTrustedRootCertificate",
                Map.of("CertificateBlob", certificate("MeshCentral Root")));
        assertEquals(0, root.returnValue());
        CimObjectPath created = (CimObjectPath) root.outputs().get("CreatedCertificate");
        assertEquals("Intel(r) AMT Certificate: Handle: 1", created.key("InstanceID"));
        MethodResult leaf = service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", certificate("IntelAMT-0a0b0c")));
        assertEquals(0, leaf.returnValue());

        TlsConfigurationProvider restarted = new TlsConfigurationProvider(demo.hypervisor(), tls);
        List<CimInstance> certs = restarted.enumerateInstances(vm(DESKTOP_01), "AMT_PublicKeyCertificate");
        assertEquals(3, certs.size());
        assertEquals(true, certs.get(1).get("TrustedRootCertficate"));
        assertEquals("CN=MeshCentral Root", certs.get(1).get("Subject"));
        assertEquals(false, certs.get(2).get("TrustedRootCertficate"));
        assertEquals(false, certs.get(2).get("ReadOnlyCertificate"));
        assertEquals(1, enumerate(KIOSK, "AMT_PublicKeyCertificate").size(), "another VM has its own store");
    }

    @Test
    void oldFormatCertificatesAreMigratedAndDamagedLinesSkipped() throws Exception {
        String root = certificate("Old Root").replaceAll("\\s", "");
        demo.putLegacy(DESKTOP_01, CertificateStore.LEGACY_KEY, "1 root " + root + "\nbroken line\n7 cert !!notbase64\n");
        List<CimInstance> certs = enumerate(DESKTOP_01, "AMT_PublicKeyCertificate");
        assertEquals(2, certs.size());
        assertEquals("Intel(r) AMT Certificate: Handle: 1", certs.get(1).get("InstanceID"));
        assertEquals("CN=Old Root", certs.get(1).get("Subject"));
        assertEquals(true, certs.get(1).get("TrustedRootCertficate"));
        String json = demo.hypervisor().readState(DESKTOP_01, "tls", java.util.Set.of()).json();
        assertEquals(true, json.contains("\"handle\":1") && json.contains("\"trustedRoot\":true"), json);
        assertEquals(false, demo.hypervisor().definitionXml(DESKTOP_01).contains(CertificateStore.LEGACY_KEY));
        // the next one added counts on from the migrated handle
        MethodResult added = service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", certificate("after")));
        assertEquals("Intel(r) AMT Certificate: Handle: 2",
                ((CimObjectPath) added.outputs().get("CreatedCertificate")).key("InstanceID"));
    }

    @Test
    void badDuplicateAndMissingCertificatesGetAmtStatusCodes() throws Exception {
        String cert = certificate("dup");
        assertEquals(0, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", cert)).returnValue());
        assertEquals(2058, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddTrustedRootCertificate",
                Map.of("CertificateBlob", cert)).returnValue());
        assertEquals(2058, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", Base64.getEncoder().encodeToString(tls.certificate().getEncoded())))
                .returnValue(), "vAMT's own certificate is there already");
        assertEquals(2063, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", Base64.getEncoder().encodeToString("not a certificate".getBytes())))
                .returnValue());
        assertEquals(2063, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", "%%%")).returnValue());
        assertEquals(36, service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate", Map.of()).returnValue());
        assertEquals(2, enumerate(DESKTOP_01, "AMT_PublicKeyCertificate").size());
        assertEquals(2066, service.invokeMethod(vm(DESKTOP_01), serviceRef, "GenerateKeyPair",
                Map.of("KeyAlgorithm", 0L, "KeyLength", 2048L)).returnValue());
        CimException gone = assertThrows(CimException.class, () -> service.invokeMethod(vm(UNKNOWN), serviceRef,
                "AddCertificate", Map.of("CertificateBlob", cert)));
        assertEquals(CimStatus.NOT_FOUND, gone.status());
    }

    @Test
    void storeIsFullAfterSixteenCertificates() throws Exception {
        for (int i = 0; i < CertificateStore.MAX_ADDED; i++) {
            assertEquals(0, service.invokeMethod(vm(KIOSK), serviceRef, "AddCertificate",
                    Map.of("CertificateBlob", certificate("c" + i))).returnValue());
        }
        assertEquals(23, service.invokeMethod(vm(KIOSK), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", certificate("one too many"))).returnValue());
    }

    /** What MeshCentral's clean-up does on every connect: the TLS identity must survive it. */
    @Test
    void meshCentralsCleanUpRemovesOnlyWhatClientsAdded() throws Exception {
        service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddTrustedRootCertificate",
                Map.of("CertificateBlob", certificate("root")));
        service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate", Map.of("CertificateBlob", certificate("x")));
        List<CimStatus> refusals = new ArrayList<>();
        for (CimInstance cert : enumerate(DESKTOP_01, "AMT_PublicKeyCertificate")) {
            if (!(Boolean) cert.get("TrustedRootCertficate")) {
                try {
                    config.deleteInstance(vm(DESKTOP_01), cert);
                } catch (CimException e) {
                    refusals.add(e.status());
                }
            }
        }
        assertEquals(List.of(CimStatus.ACCESS_DENIED), refusals, "only the TLS certificate is refused");
        List<CimInstance> left = enumerate(DESKTOP_01, "AMT_PublicKeyCertificate");
        assertEquals(List.of("Intel(r) AMT Certificate: Handle: 0", "Intel(r) AMT Certificate: Handle: 1"),
                left.stream().map(c -> c.get("InstanceID")).toList());
        CimInstance key = enumerate(DESKTOP_01, "AMT_PublicPrivateKeyPair").get(0);
        assertEquals(CimStatus.ACCESS_DENIED,
                assertThrows(CimException.class, () -> config.deleteInstance(vm(DESKTOP_01), key)).status());
        CimInstance context = enumerate(DESKTOP_01, "AMT_TLSCredentialContext").get(0);
        assertEquals(CimStatus.ACCESS_DENIED,
                assertThrows(CimException.class, () -> config.deleteInstance(vm(DESKTOP_01), context)).status());
        // the root the console added can go too, and its handle is not reused for the next one
        config.deleteInstance(vm(DESKTOP_01), left.get(1));
        MethodResult again = service.invokeMethod(vm(DESKTOP_01), serviceRef, "AddCertificate",
                Map.of("CertificateBlob", certificate("y")));
        assertEquals("Intel(r) AMT Certificate: Handle: 1",
                ((CimObjectPath) again.outputs().get("CreatedCertificate")).key("InstanceID"),
                "handles count up from the highest stored one");
    }

    @Test
    void tlsSettingsAcceptAPutThatKeepsThemAndRefuseChanges() throws Exception {
        CimInstance remote = enumerate(DESKTOP_01, "AMT_TLSSettingData").get(0);
        CimInstance same = CimInstance.builder("AMT_TLSSettingData").key("InstanceID", remote.get("InstanceID"))
                .property("Enabled", true).property("MutualAuthentication", false)
                .property("AcceptNonSecureConnections", true).build();
        assertEquals(remote, config.modifyInstance(vm(DESKTOP_01), remote, same));
        CimInstance off = CimInstance.builder("AMT_TLSSettingData").key("InstanceID", remote.get("InstanceID"))
                .property("Enabled", false).build();
        CimException refused = assertThrows(CimException.class, () -> config.modifyInstance(vm(DESKTOP_01), remote,
                off));
        assertEquals(CimStatus.INVALID_PARAMETER, refused.status());
        assertTrue(refused.getMessage().contains("Enabled"), refused.getMessage());
    }

    @Test
    void creatingTheExistingCredentialContextIsADuplicate() throws Exception {
        CimInstance own = CimInstance.builder("AMT_TLSCredentialContext")
                .property("ElementInContext", CimObjectPath.of("AMT_PublicKeyCertificate", "InstanceID",
                        "Intel(r) AMT Certificate: Handle: 0"))
                .property("ElementProvidingContext", TlsConfigurationProvider.endpointCollectionPath()).build();
        assertEquals(CimStatus.ALREADY_EXISTS,
                assertThrows(CimException.class, () -> config.createInstance(vm(DESKTOP_01), own)).status());
    }
}
