package org.vamt.provider.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

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
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * The redirection state classes against the real libvirt test driver: defaults as AMT ships them,
 * state kept in the domain metadata (so a new provider instance sees it), each VM on its own, and
 * every method with good and bad input.
 */
class RedirectionProvidersTest {
    private static final CimObjectPath REDIRECTION = CimObjectPath.of("AMT_RedirectionService");
    private static final CimObjectPath SAP = CimObjectPath.of("CIM_KVMRedirectionSAP");
    private static final CimObjectPath KVM = CimObjectPath.of("IPS_KVMRedirectionSettingData");
    private static final CimObjectPath OPT_IN = CimObjectPath.of("IPS_OptInService");
    private static final String GOOD_PASSWORD = "Vnc@1234";

    private DemoHypervisor demo;
    private Hypervisor hv;

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path etc;

    @BeforeEach
    void start() throws Exception {
        System.setProperty("karaf.etc", etc.toString());   // the sealing key's home, as in Karaf
        RfbPasswordSeal.reset();
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
    }

    private org.vamt.provider.redirection.RedirectionSettings settings(String uuid) throws Exception {
        return new org.vamt.hypervisor.state.StateStore<>(hv, org.vamt.provider.redirection.RedirectionSettings.STATE)
                .get(uuid);
    }

    private Optional<String> stored(String uuid) throws Exception {
        return Optional.ofNullable(hv.readState(uuid, "redirection", java.util.Set.of()).json());
    }

    private Optional<String> rfbPassword(String uuid) throws Exception {
        return new RedirectionStore(hv).rfbPassword(uuid);
    }

    @Test
    void theRfbPasswordIsSealedWithAKeyInEtcAndNeverInTheDefinition() throws Exception {
        put(new KvmRedirectionSettingDataProvider(hv), DESKTOP_01, "IPS_KVMRedirectionSettingData",
                Map.of("RFBPassword", GOOD_PASSWORD));
        assertEquals(Optional.of(GOOD_PASSWORD), rfbPassword(DESKTOP_01));
        String json = stored(DESKTOP_01).orElseThrow();
        assertTrue(json.contains("\"rfbPassword\":\"aesgcm:"), json);
        assertFalse(json.contains(GOOD_PASSWORD), json);
        assertFalse(hv.definitionXml(DESKTOP_01).contains(GOOD_PASSWORD));
        assertFalse(demo.persistentXml(DESKTOP_01).contains(GOOD_PASSWORD));
        java.nio.file.Path key = etc.resolve(RfbPasswordSeal.KEY_FILE);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(key)));
        assertFalse(java.nio.file.Files.readString(key).contains(GOOD_PASSWORD));
        // sealed for this VM: copied to another VM it does not open
        String sealed = settings(DESKTOP_01).rfbPassword();
        new org.vamt.hypervisor.state.StateStore<>(hv, org.vamt.provider.redirection.RedirectionSettings.STATE)
                .update(KIOSK, s -> s.withRfbPassword(sealed));
        assertEquals(CimStatus.FAILED, assertThrows(CimException.class, () -> rfbPassword(KIOSK)).status());
    }

    @Test
    void oldFormatRedirectionStateIsMigratedAndItsClearPasswordSealed() throws Exception {
        demo.putLegacy(DESKTOP_01, "redirection.solIderState", "32770");
        demo.putLegacy(DESKTOP_01, "redirection.listenerEnabled", "true");
        demo.putLegacy(DESKTOP_01, "redirection.kvmEnabled", "false");
        demo.putLegacy(DESKTOP_01, "redirection.optInRequired", "1");
        demo.putLegacy(DESKTOP_01, "redirection.kvmSettings", "Is5900PortEnabled=true;SessionTimeout=15;DefaultScreen=x;BackToBackFbMode=false");
        demo.putLegacy(DESKTOP_01, "redirection.rfbPassword", GOOD_PASSWORD);
        assertTrue(demo.persistentXml(DESKTOP_01).contains(GOOD_PASSWORD), "the old form held it in clear");
        org.vamt.provider.redirection.RedirectionSettings s = settings(DESKTOP_01);
        assertEquals(32770L, s.solIderState());
        assertTrue(s.listenerEnabled());
        assertFalse(s.kvmEnabled());
        assertTrue(s.kvmNeedsConsent());
        assertTrue(s.port5900Enabled());
        assertEquals(15L, s.sessionTimeout());
        assertEquals(0L, s.defaultScreen(), "unreadable: the default, as before");
        assertEquals(Optional.of(GOOD_PASSWORD), rfbPassword(DESKTOP_01));
        String xml = demo.persistentXml(DESKTOP_01);
        assertFalse(xml.contains(GOOD_PASSWORD), xml);
        assertFalse(xml.contains("redirection.rfbPassword"), xml);
        assertFalse(xml.contains("redirection.solIderState"), xml);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    static RequestContext vm(String uuid) {
        return new RequestContext(uuid, uuid.equals(KIOSK) ? "kiosk" : "desktop-01", "admin", "Digest:X");
    }

    private static CimInstance only(CimProvider provider, String uuid, String className) throws CimException {
        List<CimInstance> all = provider.enumerateInstances(vm(uuid), className);
        assertEquals(1, all.size(), className + " is a singleton");
        return all.get(0);
    }

    private static long call(CimProvider provider, String uuid, CimObjectPath target, String method,
                             Map<String, Object> args) throws CimException {
        return provider.invokeMethod(vm(uuid), target, method, args).returnValue();
    }

    private static CimInstance put(CimProvider provider, String uuid, String className, Map<String, Object> changes)
            throws CimException {
        CimInstance current = only(provider, uuid, className);
        CimInstance.Builder b = current.toBuilder();
        changes.forEach(b::property);
        return provider.modifyInstance(vm(uuid), current, b.build());
    }

    // --- AMT_RedirectionService ---

    @Test
    void redirectionServiceStartsAsAmtShipsAndKeepsItsStatePerVm() throws Exception {
        RedirectionServiceProvider provider = new RedirectionServiceProvider(hv);
        CimInstance fresh = only(provider, DESKTOP_01, "AMT_RedirectionService");
        assertEquals("Intel(r) AMT Redirection Service", fresh.get("Name"));
        assertEquals("Intel(r) AMT", fresh.get("SystemName"));
        assertEquals(32771L, fresh.get("EnabledState"), "SOL and IDE-R both enabled");
        assertEquals(Boolean.FALSE, fresh.get("ListenerEnabled"));

        assertEquals(0, call(provider, DESKTOP_01, REDIRECTION, "RequestStateChange", Map.of("RequestedState", 32770L)));
        CimInstance answer = put(provider, DESKTOP_01, "AMT_RedirectionService", Map.of("ListenerEnabled", true));
        assertEquals(Boolean.TRUE, answer.get("ListenerEnabled"));

        RedirectionServiceProvider restarted = new RedirectionServiceProvider(hv);
        CimInstance after = only(restarted, DESKTOP_01, "AMT_RedirectionService");
        assertEquals(32770L, after.get("EnabledState"), "SOL only, kept in the domain metadata");
        assertEquals(Boolean.TRUE, after.get("ListenerEnabled"));
        assertEquals(32770L, settings(DESKTOP_01).solIderState());

        CimInstance kiosk = only(restarted, KIOSK, "AMT_RedirectionService");
        assertEquals(32771L, kiosk.get("EnabledState"), "another VM keeps its own state");
        assertEquals(Boolean.FALSE, kiosk.get("ListenerEnabled"));

        // back to the defaults: nothing left in the metadata
        assertEquals(0, call(restarted, DESKTOP_01, REDIRECTION, "RequestStateChange", Map.of("RequestedState", 32771L)));
        put(restarted, DESKTOP_01, "AMT_RedirectionService", Map.of("ListenerEnabled", false));
        assertEquals(Optional.empty(), stored(DESKTOP_01));
    }

    @Test
    void redirectionServiceRefusesStatesOtherThanItsFour() throws Exception {
        RedirectionServiceProvider provider = new RedirectionServiceProvider(hv);
        for (Long bad : new Long[] {2L, 3L, 32767L, 32772L, null}) {
            java.util.HashMap<String, Object> args = new java.util.HashMap<>();
            args.put("RequestedState", bad);
            assertEquals(5, call(provider, DESKTOP_01, REDIRECTION, "RequestStateChange", args),
                    "RequestedState " + bad + " is an invalid parameter");
        }
        assertEquals(0, call(provider, DESKTOP_01, REDIRECTION, "RequestStateChange", Map.of("RequestedState", 32768L)));
        assertEquals(32768L, only(provider, DESKTOP_01, "AMT_RedirectionService").get("EnabledState"));
    }

    @Test
    void terminateSessionKnowsIderAndSolOnly() throws Exception {
        RedirectionServiceProvider provider = new RedirectionServiceProvider(hv);
        assertEquals(0, call(provider, DESKTOP_01, REDIRECTION, "TerminateSession", Map.of("SessionType", 0L)));
        assertEquals(0, call(provider, DESKTOP_01, REDIRECTION, "TerminateSession", Map.of("SessionType", 1L)));
        assertEquals(36, call(provider, DESKTOP_01, REDIRECTION, "TerminateSession", Map.of("SessionType", 2L)));
        assertEquals(36, call(provider, DESKTOP_01, REDIRECTION, "TerminateSession", Map.of()));
    }

    @Test
    void aVmThatNoLongerExistsIsNotFound() {
        RequestContext gone = new RequestContext(UNKNOWN, "gone", "admin", "Digest:X");
        CimException e = assertThrows(CimException.class,
                () -> new RedirectionServiceProvider(hv).enumerateInstances(gone, "AMT_RedirectionService"));
        assertEquals(CimStatus.NOT_FOUND, e.status());
        assertEquals(CimStatus.NOT_FOUND, assertThrows(CimException.class, () -> new OptInServiceProvider(hv)
                .invokeMethod(gone, OPT_IN, "StartOptIn", Map.of())).status());
    }

    // --- CIM_KVMRedirectionSAP ---

    @Test
    void kvmIsEnabledAndIdleUntilDisabledAndStaysSoPerVm() throws Exception {
        KvmRedirectionSapProvider provider = new KvmRedirectionSapProvider(hv);
        CimInstance sap = only(provider, DESKTOP_01, "CIM_KVMRedirectionSAP");
        assertEquals("KVM Redirection Service Access Point", sap.get("Name"));
        assertEquals("ManagedSystem", sap.get("SystemName"));
        assertEquals(6L, sap.get("EnabledState"), "enabled, no session");
        assertEquals(2L, sap.get("RequestedState"));
        assertEquals(4L, sap.get("KVMProtocol"), "VNC/RFB");

        assertEquals(0, call(provider, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 3L)));
        KvmRedirectionSapProvider restarted = new KvmRedirectionSapProvider(hv);
        CimInstance disabled = only(restarted, DESKTOP_01, "CIM_KVMRedirectionSAP");
        assertEquals(3L, disabled.get("EnabledState"));
        assertEquals(3L, disabled.get("RequestedState"));
        assertEquals(6L, only(restarted, KIOSK, "CIM_KVMRedirectionSAP").get("EnabledState"));

        assertEquals(0, call(restarted, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 2L)));
        assertEquals(6L, only(restarted, DESKTOP_01, "CIM_KVMRedirectionSAP").get("EnabledState"));
        assertTrue(settings(DESKTOP_01).kvmEnabled());
    }

    /** CIM_RedirectionService is AMT's KVM service: enabled (2) or disabled (3) as the SAP switched it. */
    @Test
    void kvmRedirectionServiceFollowsTheKvmStateTheSapSwitches() throws Exception {
        KvmRedirectionServiceProvider service = new KvmRedirectionServiceProvider(hv);
        CimInstance s = only(service, DESKTOP_01, "CIM_RedirectionService");
        assertEquals("Intel(r) AMT KVM Redirection Service", s.get("Name"));
        assertEquals("Intel(r) ME KVM Redirection Service", s.get("ElementName"));
        assertEquals("Intel(r) AMT", s.get("SystemName"));
        assertEquals(List.of(3L), s.get("RedirectionServiceType"));
        assertEquals(1L, s.get("MaxCurrentEnabledSAPs"));
        assertEquals(3L, s.get("SharingMode"));
        assertEquals(2L, s.get("EnabledState"));
        KvmRedirectionSapProvider sap = new KvmRedirectionSapProvider(hv);
        assertEquals(0, call(sap, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 3L)));
        assertEquals(3L, only(service, DESKTOP_01, "CIM_RedirectionService").get("EnabledState"));
        assertEquals(2L, only(service, KIOSK, "CIM_RedirectionService").get("EnabledState"), "per VM");
        assertEquals(0, call(sap, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 2L)));
        assertEquals(2L, only(service, DESKTOP_01, "CIM_RedirectionService").get("EnabledState"));
    }

    @Test
    void kvmRefusesStatesOtherThanEnableAndDisable() throws Exception {
        KvmRedirectionSapProvider provider = new KvmRedirectionSapProvider(hv);
        assertEquals(5, call(provider, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 6L)));
        assertEquals(5, call(provider, DESKTOP_01, SAP, "RequestStateChange", Map.of("RequestedState", 32771L)));
        assertEquals(5, call(provider, DESKTOP_01, SAP, "RequestStateChange", Map.of()));
        assertEquals(6L, only(provider, DESKTOP_01, "CIM_KVMRedirectionSAP").get("EnabledState"));
    }

    // --- IPS_KVMRedirectionSettingData ---

    @Test
    void kvmSettingsArePutKeptAndThePasswordNeverReadBack() throws Exception {
        KvmRedirectionSettingDataProvider provider = new KvmRedirectionSettingDataProvider(hv);
        CimInstance fresh = only(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData");
        assertEquals("Intel(r) KVM Redirection Settings", fresh.get("InstanceID"));
        assertEquals(Boolean.TRUE, fresh.get("EnabledByMEBx"));
        assertEquals(Boolean.FALSE, fresh.get("Is5900PortEnabled"));
        assertEquals(Boolean.FALSE, fresh.get("OptInPolicy"));
        assertEquals(300L, fresh.get("OptInPolicyTimeout"));
        assertEquals(0L, fresh.get("SessionTimeout"));
        assertEquals("", fresh.get("RFBPassword"));

        CimInstance answer = put(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of(
                "Is5900PortEnabled", true, "SessionTimeout", 15L, "DefaultScreen", 1L, "BackToBackFbMode", true,
                "RFBPassword", GOOD_PASSWORD));
        assertEquals("", answer.get("RFBPassword"), "write-only");
        assertEquals(Optional.of(GOOD_PASSWORD), rfbPassword(DESKTOP_01));

        CimInstance after = only(new KvmRedirectionSettingDataProvider(hv), DESKTOP_01, "IPS_KVMRedirectionSettingData");
        assertEquals(Boolean.TRUE, after.get("Is5900PortEnabled"));
        assertEquals(15L, after.get("SessionTimeout"));
        assertEquals(1L, after.get("DefaultScreen"));
        assertEquals(Boolean.TRUE, after.get("BackToBackFbMode"));
        assertEquals(fresh, only(provider, KIOSK, "IPS_KVMRedirectionSettingData"), "another VM keeps the defaults");

        // a whole-instance Put with the empty password read back keeps the stored one
        put(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of("SessionTimeout", 20L));
        assertEquals(Optional.of(GOOD_PASSWORD), rfbPassword(DESKTOP_01));
    }

    @Test
    void badKvmValuesAreRefusedAndChangeNothing() throws Exception {
        KvmRedirectionSettingDataProvider provider = new KvmRedirectionSettingDataProvider(hv);
        CimInstance before = only(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData");
        for (String bad : new String[] {"Vnc@123", "Vnc@12345", "vnc@1234", "VNC@1234", "Vnc@abcd", "Vnc1abcd",
                "Vnc:1234", "Vnc,1234", "Vnc\"1234", "Vnc 1234", "Vnc@12é4"}) {
            CimException e = assertThrows(CimException.class, () -> put(provider, DESKTOP_01,
                    "IPS_KVMRedirectionSettingData", Map.of("RFBPassword", bad, "Is5900PortEnabled", true)), bad);
            assertEquals(CimStatus.INVALID_PARAMETER, e.status());
            assertTrue(!e.getMessage().contains(bad), "the refused password is not echoed");
        }
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> put(provider, DESKTOP_01,
                "IPS_KVMRedirectionSettingData", Map.of("OptInPolicyTimeout", 5L))).status());
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> put(provider, DESKTOP_01,
                "IPS_KVMRedirectionSettingData", Map.of("DefaultScreen", 256L))).status());
        assertEquals(before, only(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData"));
        assertEquals(Optional.empty(), rfbPassword(DESKTOP_01));
        assertEquals(Optional.empty(), stored(DESKTOP_01));
        put(provider, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of("RFBPassword", "short1A!"));
        assertEquals(Optional.of("short1A!"), rfbPassword(DESKTOP_01));
    }

    @Test
    void kvmTerminateSessionSucceedsWithNothingToEnd() throws Exception {
        assertEquals(0, call(new KvmRedirectionSettingDataProvider(hv), DESKTOP_01, KVM, "TerminateSession", Map.of()));
    }

    @Test
    void kvmOptInPolicyAndOptInRequiredAreOneSetting() throws Exception {
        KvmRedirectionSettingDataProvider kvm = new KvmRedirectionSettingDataProvider(hv);
        OptInServiceProvider optIn = new OptInServiceProvider(hv);
        put(kvm, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of("OptInPolicy", true, "OptInPolicyTimeout", 600L));
        CimInstance service = only(optIn, DESKTOP_01, "IPS_OptInService");
        assertEquals(1L, service.get("OptInRequired"), "consent for KVM");
        assertEquals(600L, service.get("OptInDisplayTimeout"));

        put(optIn, DESKTOP_01, "IPS_OptInService", Map.of("OptInRequired", 4294967295L));
        CimInstance settings = only(kvm, DESKTOP_01, "IPS_KVMRedirectionSettingData");
        assertEquals(Boolean.TRUE, settings.get("OptInPolicy"));
        // an unchanged OptInPolicy in a whole-instance Put keeps "all"
        put(kvm, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of("SessionTimeout", 5L));
        assertEquals(4294967295L, only(optIn, DESKTOP_01, "IPS_OptInService").get("OptInRequired"));

        put(kvm, DESKTOP_01, "IPS_KVMRedirectionSettingData", Map.of("OptInPolicy", false));
        assertEquals(0L, only(optIn, DESKTOP_01, "IPS_OptInService").get("OptInRequired"));
        assertEquals(Boolean.FALSE, only(kvm, KIOSK, "IPS_KVMRedirectionSettingData").get("OptInPolicy"));
    }

    // --- IPS_OptInService ---

    @Test
    void optInServiceIsAdminControlModeWithoutConsentByDefaultAndKeepsItsPolicy() throws Exception {
        OptInServiceProvider provider = new OptInServiceProvider(hv);
        CimInstance fresh = only(provider, DESKTOP_01, "IPS_OptInService");
        assertEquals("Intel(r) AMT OptIn Service", fresh.get("Name"));
        assertEquals(0L, fresh.get("OptInRequired"));
        assertEquals(0L, fresh.get("OptInState"));
        assertEquals(1L, fresh.get("CanModifyOptInPolicy"));
        assertEquals(120L, fresh.get("OptInCodeTimeout"));
        assertEquals(300L, fresh.get("OptInDisplayTimeout"));

        put(provider, DESKTOP_01, "IPS_OptInService", Map.of("OptInRequired", 4294967295L));
        assertEquals(4294967295L, only(new OptInServiceProvider(hv), DESKTOP_01, "IPS_OptInService")
                .get("OptInRequired"), "kept in the domain metadata");
        assertEquals(0L, only(provider, KIOSK, "IPS_OptInService").get("OptInRequired"));

        for (long bad : new long[] {2, 3, 4294967294L}) {
            assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> put(provider, DESKTOP_01,
                    "IPS_OptInService", Map.of("OptInRequired", bad))).status());
        }
        assertEquals(CimStatus.INVALID_PARAMETER, assertThrows(CimException.class, () -> put(provider, DESKTOP_01,
                "IPS_OptInService", Map.of("OptInDisplayTimeout", 4096L))).status());
        assertEquals(4294967295L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInRequired"));
    }

    @Test
    void consentCodeIsShownToTheOperatorAndGrantsConsentOnce() throws Exception {
        MutableClock clock = new MutableClock();
        OptInServiceProvider provider = new OptInServiceProvider(hv, clock);
        assertEquals(Optional.empty(), provider.displayedCode(DESKTOP_01));
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", 123456L)),
                "no code requested: not ready");
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "CancelOptIn", Map.of()), "nothing to cancel");

        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()));
        assertEquals(2L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "displayed");
        var shown = provider.displayedCode(DESKTOP_01).orElseThrow();
        assertTrue(shown.code().matches("[0-9]{6}"), shown.code());
        assertEquals("desktop-01", shown.machineName());
        assertEquals(clock.instant().plusSeconds(300), shown.expiresAt());
        assertEquals(List.of(shown), provider.displayedCodes());
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()), "one request at a time");
        assertEquals(shown, provider.displayedCode(DESKTOP_01).orElseThrow(), "the code stays the same");

        long code = Long.parseLong(shown.code());
        assertEquals(2066, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", (code + 1) % 1_000_000)));
        assertEquals(2L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "still waiting");
        assertEquals(36, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", 1_000_000L)));
        assertEquals(36, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of()));

        assertEquals(0L, only(provider, KIOSK, "IPS_OptInService").get("OptInState"), "per VM");
        assertEquals(2, call(provider, KIOSK, OPT_IN, "SendOptInCode", Map.of("OptInCode", code)),
                "a code is only good for its own VM");

        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", code)));
        assertEquals(3L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "received");
        assertEquals(Optional.empty(), provider.displayedCode(DESKTOP_01), "no longer waiting");
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", code)), "used");
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()), "consent already granted");

        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "CancelOptIn", Map.of()));
        assertEquals(0L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"));
    }

    @Test
    void aKvmSessionUsesUpTheConsentAndShowsItIsInSession() throws Exception {
        OptInServiceProvider provider = new OptInServiceProvider(hv, new MutableClock());
        assertFalse(provider.beginConsentedSession(DESKTOP_01), "no consent yet");
        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()));
        assertFalse(provider.beginConsentedSession(DESKTOP_01), "a code is shown, not yet entered");
        long code = Long.parseLong(provider.displayedCode(DESKTOP_01).orElseThrow().code());
        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", code)));
        assertFalse(provider.beginConsentedSession(KIOSK), "consent is per VM");
        assertTrue(provider.beginConsentedSession(DESKTOP_01));
        assertEquals(4L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "in session");
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "CancelOptIn", Map.of()), "a session is not cancelled");
        assertFalse(provider.beginConsentedSession(DESKTOP_01), "one session per consent");
        provider.endConsentedSession(DESKTOP_01);
        assertEquals(0L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"));
        assertFalse(provider.beginConsentedSession(DESKTOP_01), "used up");
    }

    @Test
    void codesAndGrantsLapse() throws Exception {
        MutableClock clock = new MutableClock();
        OptInServiceProvider provider = new OptInServiceProvider(hv, clock);
        put(provider, DESKTOP_01, "IPS_OptInService", Map.of("OptInDisplayTimeout", 60L));
        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()));
        String code = provider.displayedCode(DESKTOP_01).orElseThrow().code();
        clock.advanceSeconds(59);
        assertTrue(provider.displayedCode(DESKTOP_01).isPresent());
        clock.advanceSeconds(1);
        assertEquals(0L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "display timeout");
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", Long.parseLong(code))));

        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()));
        long fresh = Long.parseLong(provider.displayedCode(DESKTOP_01).orElseThrow().code());
        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", fresh)));
        clock.advanceSeconds(119);
        assertEquals(3L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"));
        clock.advanceSeconds(1);
        assertEquals(0L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"), "OptInCodeTimeout 120 s");
    }

    @Test
    void threeWrongCodesDropTheRequest() throws Exception {
        OptInServiceProvider provider = new OptInServiceProvider(hv, new MutableClock());
        assertEquals(0, call(provider, DESKTOP_01, OPT_IN, "StartOptIn", Map.of()));
        long code = Long.parseLong(provider.displayedCode(DESKTOP_01).orElseThrow().code());
        long wrong = (code + 1) % 1_000_000;
        assertEquals(2066, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", wrong)));
        assertEquals(2066, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", wrong)));
        assertEquals(2066, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", wrong)));
        assertEquals(0L, only(provider, DESKTOP_01, "IPS_OptInService").get("OptInState"));
        assertEquals(2, call(provider, DESKTOP_01, OPT_IN, "SendOptInCode", Map.of("OptInCode", code)),
                "the right code comes too late");
    }
}
