package org.vamt.provider.remoteaccess.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_02;

import java.io.ByteArrayInputStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
import org.vamt.cira.CiraProfile;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.tls.AddedCertificates;

/**
 * The CIRA set-up classes behind the real CIMOM and the whole vAMT schema, on the libvirt test
 * driver, called as the WS-Management layer calls them (text arguments, references as paths, Put
 * and Delete by path), in the orders Intel DMT's RPS and MeshCentral send them; and the profile
 * vamt-cira's tunnels get from them.
 */
class RemoteAccessProviderTest {
    private static final RequestContext CTX = new RequestContext(DESKTOP_01, "desktop-01", "admin", "Digest:X");
    private static final CimObjectPath SERVICE = CimObjectPath.of("AMT_RemoteAccessService");
    private static final String PASSWORD = "Mps#Pass1234";

    @TempDir
    Path dir;
    private DemoHypervisor demo;
    private RemoteAccessProvider provider;
    private CimObjectManager cimom;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = provider("");
    }

    private RemoteAccessProvider provider(String intranetDomains) throws Exception {
        RemoteAccessProvider p = new RemoteAccessProvider(demo.hypervisor(), config(intranetDomains),
                new MpsPasswords(dir.resolve("vamt-remoteaccess.key")), () -> null);
        cimom = new TestCimom().serve(p, "AMT_RemoteAccessService", "AMT_ManagementPresenceRemoteSAP",
                "AMT_MPSUsernamePassword", "AMT_RemoteAccessPolicyRule", "AMT_RemoteAccessPolicyAppliesToMPS",
                "AMT_EnvironmentDetectionSettingData", "AMT_UserInitiatedConnectionService",
                "AMT_RemoteAccessCapabilities", "AMT_RemoteAccessCredentialContext", "IPS_HTTPProxyService",
                "IPS_HTTPProxyAccessPoint").manager();
        return p;
    }

    private static RemoteAccessProvider.Config config(String domains) {
        return new RemoteAccessProvider.Config() {
            @Override
            public String intranetDomains() {
                return domains;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return RemoteAccessProvider.Config.class;
            }
        };
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private MethodResult addMpServer(String accessInfo, String format, String port, String auth, String user,
                                     String password) throws CimException {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("AccessInfo", accessInfo);
        a.put("InfoFormat", format);
        a.put("Port", port);
        a.put("AuthMethod", auth);
        a.put("Username", user);
        a.put("Password", password);
        a.put("CN", accessInfo);
        return cimom.invokeMethod(CTX, SERVICE, "AddMpServer", a);
    }

    private MethodResult addPolicy(String trigger, String lifetime, String data, CimObjectPath... mps) throws CimException {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("Trigger", trigger);
        a.put("TunnelLifeTime", lifetime);
        if (data != null) {
            a.put("ExtendedData", data);
        }
        a.put("MpServer", mps.length == 1 ? mps[0] : List.of(mps));
        return cimom.invokeMethod(CTX, SERVICE, "AddRemoteAccessPolicyRule", a);
    }

    private void addTrustedRoot(String uuid, byte[] der) throws Exception {
        new StateStore<>(demo.hypervisor(), AddedCertificates.STATE).update(uuid, s -> {
            List<AddedCertificates.Certificate> list = new ArrayList<>(s.certificates());
            list.add(new AddedCertificates.Certificate(list.size() + 1, true, Base64.getEncoder().encodeToString(der)));
            return new AddedCertificates(list);
        });
    }

    /** A self-signed CA certificate made by the JDK's keytool. */
    private byte[] rootCertificate() throws Exception {
        Path ks = dir.resolve("root-" + System.nanoTime() + ".p12");
        Path cer = dir.resolve("root-" + System.nanoTime() + ".cer");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "root", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=MeshCentralRoot-test", "-ext", "bc:c", "-validity", "2", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        run(keytool, "-exportcert", "-alias", "root", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-file", cer.toString());
        return Files.readAllBytes(cer);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    /** Intel DMT RPS's CIRA state machine (cira.md §4.3), step by step, then the VM's profile. */
    @Test
    void rpsSequenceMakesTheVmDialItsMps() throws Exception {
        // a fresh VM: no policy to delete (RPS names them by PolicyRuleName alone and tolerates the fault), no MPS
        for (String rule : List.of("User Initiated", "Alert", "Periodic")) {
            CimException e = assertThrows(CimException.class, () -> cimom.deleteInstance(CTX,
                    CimObjectPath.of("AMT_RemoteAccessPolicyRule", "PolicyRuleName", rule)));
            assertEquals(CimStatus.NOT_FOUND, e.status(), rule);
        }
        assertEquals(0, cimom.enumerateInstances(CTX, "AMT_ManagementPresenceRemoteSAP").size());
        assertEquals(Optional.empty(), provider.profile(DESKTOP_01, "desktop-01"), "no console set-up: the operator's");
        // the service as AMT answers it
        CimInstance service = cimom.getInstance(CTX, SERVICE);
        assertEquals("Intel(r) AMT Remote Access Service", service.get("Name"));
        assertEquals(false, service.get("IsRemoteTunnelConnected"));
        assertEquals(0L, cimom.enumerateInstances(CTX, "IPS_HTTPProxyService").size());
        CimInstance caps = cimom.enumerateInstances(CTX, "AMT_RemoteAccessCapabilities").get(0);
        assertEquals(List.of(2L, 6L, 3L, 15L), List.of(caps.get("MaxMpsPerPolicy"), caps.get("MaxTotalMpServers"),
                caps.get("MaxTotalPolicies"), caps.get("MaxTotalProxyEntryPoints")));

        byte[] root = rootCertificate();
        addTrustedRoot(DESKTOP_01, root);
        MethodResult added = addMpServer("127.0.0.1", "3", "4433", "2", "admin", PASSWORD);
        assertEquals(0, added.returnValue());
        CimObjectPath sap = (CimObjectPath) added.outputs().get("MpServer");
        assertEquals("Intel(r) AMT:Management Presence Server 0", sap.key("Name"));
        CimInstance sapInstance = cimom.getInstance(CTX, sap);
        assertEquals("127.0.0.1", sapInstance.get("AccessInfo"));
        assertEquals(4433L, sapInstance.get("Port"));
        assertEquals("127.0.0.1", sapInstance.get("CN"));

        // DMT's EPR of the MPS carries its Name only
        CimObjectPath byName = CimObjectPath.of("AMT_ManagementPresenceRemoteSAP", "Name", sap.key("Name"));
        assertEquals(0, addPolicy("2", "0", "AAAAAAAAABk=", byName).returnValue());   // periodic, 25 s
        MethodResult user = addPolicy("0", "300", "", byName);
        assertEquals(0, user.returnValue());
        assertEquals("User Initiated", ((CimObjectPath) user.outputs().get("PolicyRule")).key("PolicyRuleName"));
        List<CimInstance> applies = cimom.enumerateInstances(CTX, "AMT_RemoteAccessPolicyAppliesToMPS");
        assertEquals(2, applies.size());
        for (CimInstance a : applies) {
            CimInstance put = CimInstance.builder("AMT_RemoteAccessPolicyAppliesToMPS")
                    .property("MpsType", 2).property("OrderOfAccess", 0).build();
            assertEquals(2L, cimom.modifyInstance(CTX, a.path(), put).get("MpsType"));
        }
        // DMT's Put names no instance (no selectors): the first one, and only it
        CimInstance first = cimom.modifyInstance(CTX, CimObjectPath.of("AMT_RemoteAccessPolicyAppliesToMPS"),
                CimInstance.builder("AMT_RemoteAccessPolicyAppliesToMPS").property("MpsType", 1).build());
        assertEquals(1L, first.get("MpsType"));
        assertEquals(applies.get(0).path(), first.path());
        assertEquals(2L, cimom.getInstance(CTX, applies.get(1).path()).get("MpsType"));
        assertEquals(0, cimom.invokeMethod(CTX, CimObjectPath.of("AMT_UserInitiatedConnectionService"),
                "RequestStateChange", Map.of("RequestedState", "32771")).returnValue());
        assertEquals(32771L, cimom.enumerateInstances(CTX, "AMT_UserInitiatedConnectionService").get(0).get("EnabledState"));
        CimInstance env = cimom.getInstance(CTX, CimObjectPath.of("AMT_EnvironmentDetectionSettingData"));
        cimom.modifyInstance(CTX, env.path(), CimInstance.builder("AMT_EnvironmentDetectionSettingData")
                .property("DetectionStrings", List.of(DESKTOP_01 + ".com")).build());
        assertEquals(List.of(DESKTOP_01 + ".com"),
                cimom.getInstance(CTX, env.path()).get("DetectionStrings"));

        CiraProfile p = provider.profile(DESKTOP_01, "desktop-01").orElseThrow();
        assertTrue(p.enabled());
        assertEquals(1, p.servers().size());
        CiraProfile.Mps mps = p.servers().get(0);
        assertEquals(List.of("127.0.0.1", 4433, "admin", PASSWORD), List.of(mps.host(), mps.port(), mps.user(), mps.password()));
        assertEquals(25, p.redialSeconds(), "the periodic policy's interval");
        X509Certificate trusted = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(p.trust().rootsPem().getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(root, trusted.getEncoded(), "the root the console added is the MPS's trust");
        // another VM is not set up by this
        assertEquals(Optional.empty(), provider.profile(DESKTOP_02, "desktop-02"));

        // vAMT restarted: a new provider on the same VMs sees the same set-up
        RemoteAccessProvider again = provider("");
        assertEquals(p, again.profile(DESKTOP_01, "desktop-01").orElseThrow());
    }

    private static CimObjectPath path(String cls, String key, String value) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", cls);
        keys.put(key, value);
        keys.put("SystemCreationClassName", "CIM_ComputerSystem");
        keys.put("SystemName", "Intel(r) AMT");
        return new CimObjectPath(cls, keys);
    }

    @Test
    void thePasswordIsWriteOnlyAndKeptSealed() throws Exception {
        MethodResult added = addMpServer("mps.example.com", "201", "4433", "2", "3VeNgK6mqKCYDtG3", PASSWORD);
        assertEquals(0, added.returnValue());
        CimInstance cred = cimom.enumerateInstances(CTX, "AMT_MPSUsernamePassword").get(0);
        assertEquals("Intel(r) AMT:MPS Username Password 0", cred.get("InstanceID"));
        assertEquals("3VeNgK6mqKCYDtG3", cred.get("RemoteID"));
        assertNull(cred.get("Secret"), "Secret is never returned");
        String stored = demo.hypervisor().readState(DESKTOP_01, "cira", Set.of()).json();
        assertFalse(stored.contains(PASSWORD), "kept sealed in the VM's state");
        assertTrue(stored.contains("aesgcm:"), stored.length() + " chars of state, sealed");

        // Put of a new user and password
        cimom.modifyInstance(CTX, cred.path(), CimInstance.builder("AMT_MPSUsernamePassword")
                .property("RemoteID", "newuser").property("Secret", "Other#Pass99").build());
        assertNull(cimom.getInstance(CTX, cred.path()).get("Secret"));
        RemoteAccessState s = new StateStore<>(demo.hypervisor(), RemoteAccessState.STATE).get(DESKTOP_01);
        assertEquals("newuser", s.servers().get(0).user());
        assertEquals("Other#Pass99", new MpsPasswords(dir.resolve("vamt-remoteaccess.key"))
                .open(DESKTOP_01, s.servers().get(0).sealedPassword()));
        // bound to its VM: the sealed text copied to another VM does not open
        assertThrows(CimException.class, () -> new MpsPasswords(dir.resolve("vamt-remoteaccess.key"))
                .open(DESKTOP_02, s.servers().get(0).sealedPassword()));
        CimException tooShort = assertThrows(CimException.class, () -> cimom.modifyInstance(CTX, cred.path(),
                CimInstance.builder("AMT_MPSUsernamePassword").property("Secret", "short").build()));
        assertEquals(CimStatus.INVALID_PARAMETER, tooShort.status());
    }

    @Test
    void amtsReturnCodesAndLimits() throws Exception {
        assertEquals(36, addMpServer("not an address", "3", "4433", "2", "admin", PASSWORD).returnValue());
        assertEquals(36, addMpServer("10.0.0.1", "201", "4433", "2", "admin", PASSWORD).returnValue(), "an IP as FQDN");
        assertEquals(36, addMpServer("10.0.0.1", "3", "0", "2", "admin", PASSWORD).returnValue());
        assertEquals(36, addMpServer("10.0.0.1", "3", "4433", "2", "a-user-name-of-17", PASSWORD).returnValue());
        assertEquals(36, addMpServer("10.0.0.1", "3", "4433", "2", "admin", "short").returnValue());
        assertEquals(2066, addMpServer("10.0.0.1", "3", "4433", "1", "admin", PASSWORD).returnValue(), "mutual auth");
        List<CimObjectPath> saps = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            MethodResult r = addMpServer("10.0.0." + i, "3", "4433", "2", "admin", PASSWORD);
            assertEquals(0, r.returnValue());
            saps.add((CimObjectPath) r.outputs().get("MpServer"));
        }
        assertEquals(23, addMpServer("10.0.0.7", "3", "4433", "2", "admin", PASSWORD).returnValue(), "6 MPSes at most");
        assertEquals(2058, addMpServer("10.0.0.1", "3", "4433", "2", "admin", PASSWORD).returnValue(), "duplicate");

        assertEquals(36, addPolicy("2", "0", "AAAA", saps.get(0)).returnValue(), "bad ExtendedData");
        assertEquals(36, addPolicy("2", "0", "AAAAAAAAABk=", saps.get(0), saps.get(1), saps.get(2)).returnValue(),
                "2 MPSes per policy at most");
        assertEquals(36, addPolicy("2", "0", "AAAAAAAAABk=", RemoteAccessProvider.sapPath(42)).returnValue(), "no such MPS");
        assertEquals(0, addPolicy("2", "0", "AAAAAAAAABk=", saps.get(0), saps.get(1)).returnValue());
        assertEquals(2058, addPolicy("2", "0", "AAAAAAAAAAo=", saps.get(2)).returnValue(), "one policy per trigger");
        assertEquals(0, addPolicy("1", "0", null, saps.get(2)).returnValue());
        assertEquals(0, addPolicy("0", "300", "", saps.get(3)).returnValue());
        assertEquals(3, cimom.enumerateInstances(CTX, "AMT_RemoteAccessPolicyRule").size());
        assertEquals(36, cimom.invokeMethod(CTX, CimObjectPath.of("AMT_UserInitiatedConnectionService"),
                "RequestStateChange", Map.of("RequestedState", "2")).returnValue());

        // an MPS a policy names is not deleted; once the policy is gone, it is (with its credential)
        CimException inUse = assertThrows(CimException.class, () -> cimom.deleteInstance(CTX, saps.get(0)));
        assertEquals(CimStatus.ACCESS_DENIED, inUse.status());
        cimom.deleteInstance(CTX, path("AMT_RemoteAccessPolicyRule", "PolicyRuleName", "Periodic"));
        CimException absent = assertThrows(CimException.class, () -> cimom.deleteInstance(CTX,
                path("AMT_RemoteAccessPolicyRule", "PolicyRuleName", "Periodic")));
        assertEquals(CimStatus.NOT_FOUND, absent.status(), "DestinationUnreachable, which RPS tolerates");
        // by Name alone, as DMT and MeshCentral delete MPSes
        cimom.deleteInstance(CTX, CimObjectPath.of("AMT_ManagementPresenceRemoteSAP", "Name", saps.get(0).key("Name")));
        assertEquals(5, cimom.enumerateInstances(CTX, "AMT_ManagementPresenceRemoteSAP").size());
        assertEquals(5, cimom.enumerateInstances(CTX, "AMT_MPSUsernamePassword").size());
        assertEquals(5, cimom.enumerateInstances(CTX, "AMT_RemoteAccessCredentialContext").size());
        assertEquals(1, cimom.enumerateInstances(CTX, "AMT_RemoteAccessPolicyAppliesToMPS").stream()
                .filter(i -> ((CimObjectPath) i.get("PolicySet")).key("PolicyRuleName").equals("Alert")).count());
    }

    @Test
    void whenTheVmDials() throws Exception {
        addTrustedRoot(DESKTOP_01, rootCertificate());
        CimObjectPath sap = (CimObjectPath) addMpServer("127.0.0.1", "3", "4433", "2", "admin", PASSWORD)
                .outputs().get("MpServer");
        assertFalse(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled(),
                "an MPS but no policy: the console's set-up wins, and it does not dial");
        assertEquals(0, addPolicy("1", "0", null, sap).returnValue());
        assertFalse(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled(), "alerts: vAMT sends none");
        assertEquals(0, addPolicy("0", "0", null, sap).returnValue());
        assertFalse(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled(),
                "user initiated while the service allows none");
        cimom.invokeMethod(CTX, CimObjectPath.of("AMT_UserInitiatedConnectionService"), "RequestStateChange",
                Map.of("RequestedState", "32770"));
        CiraProfile user = provider.profile(DESKTOP_01, "desktop-01").orElseThrow();
        assertTrue(user.enabled());
        assertEquals(0, user.redialSeconds(), "no periodic policy: the operator's back-off");

        // environment detection: inside when a detection string is an intranet domain of the operator's
        provider = provider("corp.example, .lab.example");
        CimInstance env = cimom.getInstance(CTX, CimObjectPath.of("AMT_EnvironmentDetectionSettingData"));
        cimom.modifyInstance(CTX, env.path(), CimInstance.builder("AMT_EnvironmentDetectionSettingData")
                .property("DetectionStrings", List.of("a1b2c3d4e5f6")).build());
        assertTrue(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled(), "a random string: outside");
        cimom.modifyInstance(CTX, env.path(), CimInstance.builder("AMT_EnvironmentDetectionSettingData")
                .property("DetectionStrings", List.of("eng.corp.example")).build());
        assertFalse(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled(), "inside");
        CimException tooLong = assertThrows(CimException.class, () -> cimom.modifyInstance(CTX, env.path(),
                CimInstance.builder("AMT_EnvironmentDetectionSettingData").property("DetectionStrings",
                        List.of("x".repeat(193))).build()));
        assertEquals(CimStatus.INVALID_PARAMETER, tooLong.status());
    }

    @Test
    void withoutATrustedRootTheVmDoesNotDial() throws Exception {
        CimObjectPath sap = (CimObjectPath) addMpServer("127.0.0.1", "3", "4433", "2", "admin", PASSWORD)
                .outputs().get("MpServer");
        assertEquals(0, addPolicy("2", "0", "AAAAAAAAAAo=", sap).returnValue());
        assertFalse(provider.profile(DESKTOP_01, "desktop-01").orElseThrow().enabled());
        addTrustedRoot(DESKTOP_01, rootCertificate());
        assertEquals(10, provider.profile(DESKTOP_01, "desktop-01").orElseThrow().redialSeconds());
    }

    @Test
    void periodicExtendedData() {
        assertEquals(25, RemoteAccessProvider.periodicSeconds("AAAAAAAAABk="));
        assertEquals(10, RemoteAccessProvider.periodicSeconds("AAAAAAAAAAo="));
        assertEquals(86400, RemoteAccessProvider.periodicSeconds(Base64.getEncoder().encodeToString(
                new byte[] {0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 59})));
        assertEquals(-1, RemoteAccessProvider.periodicSeconds(Base64.getEncoder().encodeToString(
                new byte[] {0, 0, 0, 1, 0, 0, 0, 24, 0, 0, 0, 0})));
        assertEquals(-1, RemoteAccessProvider.periodicSeconds("AAAAAAAAAAA="), "0 s");
        assertEquals(-1, RemoteAccessProvider.periodicSeconds(""));
    }
}
