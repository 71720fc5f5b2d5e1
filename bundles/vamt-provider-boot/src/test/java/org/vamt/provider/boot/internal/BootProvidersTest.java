package org.vamt.provider.boot.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_02;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.libvirt.internal.DemoHypervisor;

/** The boot providers against libvirt's test driver loaded with the demo machines. */
class BootProvidersTest {
    static final String PXE = "Intel(r) AMT: Force PXE Boot";
    static final String HDD = "Intel(r) AMT: Force Hard-drive Boot";
    static final String CD = "Intel(r) AMT: Force CD/DVD Boot";

    private DemoHypervisor demo;
    private Hypervisor hv;
    private BootSettingDataProvider settingData;
    private BootCapabilitiesProvider capabilities;
    private BootSourceSettingProvider sources;
    private BootConfigSettingProvider config;
    private BootServiceProvider service;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        settingData = new BootSettingDataProvider(hv);
        capabilities = new BootCapabilitiesProvider();
        sources = new BootSourceSettingProvider();
        config = new BootConfigSettingProvider(hv);
        service = new BootServiceProvider(hv);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    static RequestContext ctx(String uuid, String name) {
        return new RequestContext(uuid, name, "admin", "Digest:0123456789ABCDEF0123456789ABCDEF");
    }

    static RequestContext desktop01() {
        return ctx(DESKTOP_01, "desktop-01");
    }

    static RequestContext buildServer() {
        return ctx(BUILD_SERVER, "build-server");
    }

    static CimStatus statusOf(Executable e) {
        return assertThrows(CimException.class, e).status();
    }

    static CimObjectPath source(String instanceId) {
        return CimObjectPath.of("CIM_BootSourceSetting", "InstanceID", instanceId);
    }

    static CimObjectPath bootConfig(String instanceId) {
        return CimObjectPath.of("CIM_BootConfigSetting", "InstanceID", instanceId);
    }

    private CimInstance only(List<CimInstance> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

    CimInstance settings(RequestContext ctx) throws CimException {
        return only(settingData.enumerateInstances(ctx, "AMT_BootSettingData"));
    }

    /** A Put as the CIMOM hands it over: the current instance with the client's changes. */
    CimInstance put(BootSettingDataProvider provider, RequestContext ctx, Object... changes) throws CimException {
        CimInstance current = only(provider.enumerateInstances(ctx, "AMT_BootSettingData"));
        CimInstance.Builder b = current.toBuilder();
        for (int i = 0; i < changes.length; i += 2) {
            b.property((String) changes[i], changes[i + 1]);
        }
        return provider.modifyInstance(ctx, current, b.build());
    }

    CimObjectPath configPath() throws CimException {
        return only(config.enumerateInstances(desktop01(), "CIM_BootConfigSetting")).path();
    }

    CimObjectPath servicePath() throws CimException {
        return only(service.enumerateInstances(desktop01(), "CIM_BootService")).path();
    }

    /** ChangeBootOrder as the CIMOM calls it: Source is an array of references, absent when not sent. */
    long changeBootOrder(RequestContext ctx, CimObjectPath... sourcePaths) throws CimException {
        Map<String, Object> args = new HashMap<>();
        if (sourcePaths.length > 0) {
            args.put("Source", Arrays.asList(sourcePaths));
        }
        return config.invokeMethod(ctx, configPath(), "ChangeBootOrder", args).returnValue();
    }

    long setBootConfigRole(RequestContext ctx, CimObjectPath configRef, long role) throws CimException {
        Map<String, Object> args = new HashMap<>();
        args.put("BootConfigSetting", configRef);
        args.put("Role", role);
        return service.invokeMethod(ctx, servicePath(), "SetBootConfigRole", args).returnValue();
    }

    Optional<BootDevice> next(String uuid) throws Exception {
        return hv.nextBootDevice(uuid);
    }

    // ---------------------------------------------------------------- AMT_BootSettingData

    @Test
    void settingDataDefaults() throws Exception {
        CimInstance s = settings(desktop01());
        assertEquals("AMT_BootSettingData", s.className());
        assertEquals(List.of("InstanceID"), new ArrayList<>(s.keyNames()));
        assertEquals("Intel(r) AMT:BootSettingData 0", s.get("InstanceID"));
        assertEquals("Intel(r) AMT Boot Configuration Settings", s.get("ElementName"));
        assertEquals("Intel(r) AMT", s.get("OwningEntity"));
        for (String p : List.of("UseSOL", "UseSafeMode", "ReflashBIOS", "BIOSSetup", "BIOSPause", "LockPowerButton",
                "LockResetButton", "LockKeyboard", "LockSleepButton", "UserPasswordBypass", "ForcedProgressEvents",
                "ConfigurationDataReset", "UseIDER", "EnforceSecureBoot", "SecureErase")) {
            assertEquals(Boolean.FALSE, s.get(p), p);
        }
        for (String p : List.of("FirmwareVerbosity", "IDERBootDevice", "BootMediaIndex")) {
            assertEquals(0L, s.get(p), p);
        }
        assertEquals("", s.get("RSEPassword"), "write-only, read back empty as real AMT does");
        assertEquals(Boolean.TRUE, s.get("OptionsCleared"));
        assertEquals(List.of(2L, 0L), s.get("BIOSLastStatus"), "AMT's 'not updated': no boot-option status");
        assertFalse(stored(DESKTOP_01).isPresent());
    }

    @Test
    void putIsStoredWithTheVmAndReadByANewProvider() throws Exception {
        CimInstance answer = put(settingData, desktop01(), "UseSOL", true, "IDERBootDevice", 1L,
                "EnforceSecureBoot", true);
        assertEquals(Boolean.TRUE, answer.get("UseSOL"));
        assertEquals(1L, answer.get("IDERBootDevice"));
        assertEquals(Boolean.TRUE, answer.get("EnforceSecureBoot"));
        assertEquals(Optional.of("{\"enforceSecureBoot\":true,\"iderBootDevice\":1,\"useIder\":false,\"useSol\":true}"),
                stored(DESKTOP_01));

        // as after a vAMT restart: a new provider on the same hypervisor
        BootSettingDataProvider restarted = new BootSettingDataProvider(hv);
        CimInstance read = only(restarted.enumerateInstances(desktop01(), "AMT_BootSettingData"));
        assertEquals(answer, read);
        assertEquals(Boolean.TRUE, read.get("UseSOL"));
        // per VM
        assertEquals(Boolean.FALSE, settings(ctx(DESKTOP_02, "desktop-02")).get("UseSOL"));

        // back to the defaults: nothing stored any more
        CimInstance reset = put(restarted, desktop01(), "UseSOL", false, "IDERBootDevice", 0L,
                "EnforceSecureBoot", false);
        assertEquals(Boolean.FALSE, reset.get("UseSOL"));
        assertFalse(stored(DESKTOP_01).isPresent());
    }

    @Test
    void putOfAnUnchangedInstanceWritesNothing() throws Exception {
        CimInstance current = settings(desktop01());
        assertEquals(current, settingData.modifyInstance(desktop01(), current, current));
        assertFalse(stored(DESKTOP_01).isPresent());
    }

    @Test
    void unsupportedOptionsAreRefusedWhenTrue() throws Exception {
        for (String p : BootSettings.FALSE_ONLY) {
            assertEquals(CimStatus.INVALID_PARAMETER,
                    statusOf(() -> put(settingData, desktop01(), "UseSOL", true, p, true)), p);
            // ... and accepted when false
            put(settingData, desktop01(), p, false);
        }
        for (Object[] bad : new Object[][] {{"FirmwareVerbosity", 2L}, {"BootMediaIndex", 1L},
                {"UefiBootNumberOfParams", 1L}, {"IDERBootDevice", 2L}, {"UefiBootParametersArray", "AQID"}}) {
            assertEquals(CimStatus.INVALID_PARAMETER,
                    statusOf(() -> put(settingData, desktop01(), "UseSOL", true, bad[0], bad[1])), bad[0] + "=" + bad[1]);
        }
        // a refused Put changes nothing, not even its acceptable parts
        assertEquals(Boolean.FALSE, settings(desktop01()).get("UseSOL"));
        assertFalse(stored(DESKTOP_01).isPresent());
    }

    @Test
    void wholeInstancePutAsIntelsGoClientSendsIt() throws Exception {
        // go-wsman-messages sends every property; DMT Console sets OptionsCleared true and copies the rest
        CimInstance answer = put(settingData, desktop01(), "UseSOL", true, "OptionsCleared", true, "BootguardStatus", 0L,
                "PlatformErase", false, "RSEPassword", "", "SecureBootControlEnabled", false,
                "UEFIHTTPSBootEnabled", false, "UEFILocalPBABootEnabled", false, "WinREBootEnabled", false,
                "UefiBootNumberOfParams", 0L, "UefiBootParametersArray", "");
        assertEquals(Boolean.TRUE, answer.get("UseSOL"));
        assertEquals(settings(desktop01()), answer);
    }

    @Test
    void textValuesAreReadAsTheirType() throws Exception {
        put(settingData, desktop01(), "UseSOL", "true", "BIOSSetup", "false", "IDERBootDevice", "1");
        CimInstance s = settings(desktop01());
        assertEquals(Boolean.TRUE, s.get("UseSOL"));
        assertEquals(1L, s.get("IDERBootDevice"));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> put(settingData, desktop01(), "UseIDER", "1",
                "IDERBootDevice", "0")), "only the IDE-R CD is presented to a VM");
        put(settingData, desktop01(), "UseIDER", "1");
        assertEquals(Boolean.TRUE, settings(desktop01()).get("UseIDER"));
        assertEquals(java.util.Optional.of(org.vamt.hypervisor.BootDevice.IDER_CDROM),
                demo.hypervisor().nextBootDevice(DESKTOP_01), "the next start boots from the IDE-R CD once");
        put(settingData, desktop01(), "UseIDER", "false");
        assertEquals(java.util.Optional.empty(), demo.hypervisor().nextBootDevice(DESKTOP_01));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> put(settingData, desktop01(), "UseSOL", "yes")));
    }

    @Test
    void oldFormatSettingsAreMigratedOnceAndBadPartsReadAsDefaults() throws Exception {
        demo.putLegacy(DESKTOP_01, BootSettings.LEGACY_KEY, "garbage;IDERBootDevice=x;UseSOL=true;Other=1");
        demo.putLegacy(DESKTOP_02, BootSettings.LEGACY_KEY, "UseSOL=false;EnforceSecureBoot=true;IDERBootDevice=1");
        CimInstance s = settings(desktop01());
        assertEquals(Boolean.TRUE, s.get("UseSOL"));
        assertEquals(0L, s.get("IDERBootDevice"));
        CimInstance s2 = settings(ctx(DESKTOP_02, "desktop-02"));
        assertEquals(Boolean.FALSE, s2.get("UseSOL"));
        assertEquals(Boolean.TRUE, s2.get("EnforceSecureBoot"));
        assertEquals(1L, s2.get("IDERBootDevice"));
        // rewritten in the typed form, the old key dropped
        assertEquals(Optional.of("{\"enforceSecureBoot\":false,\"iderBootDevice\":0,\"useIder\":false,\"useSol\":true}"), stored(DESKTOP_01));
        assertFalse(hv.definitionXml(DESKTOP_01).contains(BootSettings.LEGACY_KEY));
        assertFalse(hv.definitionXml(DESKTOP_02).contains(BootSettings.LEGACY_KEY));
        assertEquals(1, hv.readState(DESKTOP_01, "boot", java.util.Set.of()).generation());
    }

    @Test
    void unreadableStoredSettingsAreAClearErrorAndStay() throws Exception {
        hv.writeState(DESKTOP_01, "boot", 0, "{\"useSol\":\"perhaps\"}", java.util.Set.of());
        CimException e = assertThrows(CimException.class, () -> settings(desktop01()));
        assertEquals(CimStatus.FAILED, e.status());
        assertEquals(true, e.getMessage().contains("unreadable"), e.getMessage());
        assertEquals(CimStatus.FAILED, statusOf(() -> put(settingData, desktop01(), "UseSOL", true)));
        assertEquals(Optional.of("{\"useSol\":\"perhaps\"}"), stored(DESKTOP_01));
    }

    /** The boot namespace's JSON as stored with the VM. */
    private Optional<String> stored(String uuid) throws Exception {
        return Optional.ofNullable(hv.readState(uuid, "boot", java.util.Set.of()).json());
    }

    @Test
    void startingTheVmClearsTheOneShotSettings() throws Exception {
        BootSettingsReset reset = new BootSettingsReset(hv);
        put(settingData, buildServer(), "UseSOL", true);
        reset.machineChanged(new org.vamt.hypervisor.MachineEvent(BUILD_SERVER, "build-server",
                org.vamt.hypervisor.MachineEvent.Type.STOPPED));
        assertEquals(Boolean.TRUE, settings(buildServer()).get("UseSOL"), "only a start uses them");
        reset.machineChanged(new org.vamt.hypervisor.MachineEvent(BUILD_SERVER, "build-server",
                org.vamt.hypervisor.MachineEvent.Type.STARTED));
        assertEquals(Boolean.FALSE, settings(buildServer()).get("UseSOL"));
        assertFalse(stored(BUILD_SERVER).isPresent());
        // an unknown VM only logs
        reset.machineChanged(new org.vamt.hypervisor.MachineEvent(UNKNOWN, "ghost",
                org.vamt.hypervisor.MachineEvent.Type.STARTED));
    }

    // ---------------------------------------------------------------- read-only classes

    @Test
    void capabilitiesOfferTheThreeForcedDevicesOnly() throws Exception {
        CimInstance c = only(capabilities.enumerateInstances(desktop01(), "AMT_BootCapabilities"));
        assertEquals("AMT_BootCapabilities", c.className());
        assertEquals("Intel(r) AMT:BootCapabilities 0", c.get("InstanceID"));
        for (String p : List.of("ForcePXEBoot", "ForceHardDriveBoot", "ForceCDorDVDBoot", "IDER")) {
            assertEquals(Boolean.TRUE, c.get(p), p);
        }
        for (String p : List.of("SOL", "BIOSReflash", "BIOSSetup", "BIOSPause", "ForceHardDriveSafeModeBoot",
                "ForceDiagnosticBoot", "VerbosityScreenBlank", "PowerButtonLock", "ResetButtonLock", "KeyboardLock",
                "SleepButtonLock", "UserPasswordBypass", "ForcedProgressEvents", "VerbosityVerbose", "VerbosityQuiet",
                "ConfigurationDataReset", "BIOSSecureBoot", "SecureErase", "ForceWinREBoot", "ForceUEFILocalPBABoot",
                "ForceUEFIHTTPSBoot", "AMTSecureBootControl", "UEFIWiFiCoExistenceAndProfileShare")) {
            assertEquals(Boolean.FALSE, c.get(p), p);
        }
        assertEquals(0L, c.get("PlatformErase"));
    }

    @Test
    void bootSourcesAsRealAmtListsThem() throws Exception {
        List<CimInstance> list = sources.enumerateInstances(desktop01(), "CIM_BootSourceSetting");
        assertEquals(3, list.size());
        String[][] expected = {{HDD, "CIM:Hard-Disk:1"}, {PXE, "CIM:Network:1"}, {CD, "CIM:CD/DVD:1"}};
        for (int i = 0; i < 3; i++) {
            CimInstance s = list.get(i);
            assertEquals("CIM_BootSourceSetting", s.className());
            assertEquals(expected[i][0], s.get("InstanceID"));
            assertEquals(expected[i][1], s.get("StructuredBootString"));
            assertEquals("Intel(r) AMT: Boot Source", s.get("ElementName"));
            assertEquals(2L, s.get("FailThroughSupported"));
            assertEquals(source(expected[i][0]), s.path());
        }
    }

    @Test
    void bootConfigSetting() throws Exception {
        CimInstance c = only(config.enumerateInstances(desktop01(), "CIM_BootConfigSetting"));
        assertEquals("Intel(r) AMT: Boot Configuration 0", c.get("InstanceID"));
        assertEquals("Intel(r) AMT: Boot Configuration", c.get("ElementName"));
        assertEquals(bootConfig("Intel(r) AMT: Boot Configuration 0"), c.path());
    }

    @Test
    void bootServiceWithAmtKeys() throws Exception {
        CimInstance s = only(service.enumerateInstances(desktop01(), "CIM_BootService"));
        assertEquals("CIM_BootService", s.get("CreationClassName"));
        assertEquals("Intel(r) AMT Boot Service", s.get("Name"));
        assertEquals("CIM_ComputerSystem", s.get("SystemCreationClassName"));
        assertEquals("Intel(r) AMT", s.get("SystemName"));
        assertEquals(4, s.keyNames().size());
        assertEquals("Intel(r) AMT Boot Service", s.get("ElementName"));
        assertEquals(32768L, s.get("EnabledState"));
        assertEquals(List.of(0L), s.get("OperationalStatus"));
    }

    // ---------------------------------------------------------------- ChangeBootOrder / SetBootConfigRole

    @Test
    void meshCentralOrderRoleThenBootOrder() throws Exception {
        put(settingData, desktop01(), "UseSOL", false);
        assertEquals(0, setBootConfigRole(desktop01(), bootConfig("Intel(r) AMT: Boot Configuration 0"), 1));
        assertEquals(Optional.empty(), next(DESKTOP_01));
        assertEquals(0, changeBootOrder(desktop01(), source(PXE)));
        assertEquals(Optional.of(BootDevice.NETWORK), next(DESKTOP_01));
    }

    @Test
    void maasOrderBootOrderThenRole() throws Exception {
        assertEquals(0, changeBootOrder(desktop01(), source(PXE)));
        assertEquals(0, setBootConfigRole(desktop01(), bootConfig("Intel(r) AMT: Boot Configuration 0"), 1));
        assertEquals(Optional.of(BootDevice.NETWORK), next(DESKTOP_01));
    }

    @Test
    void eachSourceForcesItsDevice() throws Exception {
        assertEquals(0, changeBootOrder(desktop01(), source(HDD)));
        assertEquals(Optional.of(BootDevice.HARD_DISK), next(DESKTOP_01));
        assertEquals(0, changeBootOrder(desktop01(), source(CD)));
        assertEquals(Optional.of(BootDevice.CDROM), next(DESKTOP_01));
        assertEquals(0, changeBootOrder(desktop01(), source(PXE)));
        assertEquals(Optional.of(BootDevice.NETWORK), next(DESKTOP_01));
        assertEquals(Optional.empty(), next(DESKTOP_02), "per VM");
    }

    @Test
    void changeBootOrderWithoutSourceClears() throws Exception {
        assertEquals(0, changeBootOrder(desktop01(), source(PXE)));
        assertEquals(0, changeBootOrder(desktop01()));
        assertEquals(Optional.empty(), next(DESKTOP_01));
        // an empty Source array too, and clearing when nothing is pending
        assertEquals(0, changeBootOrder(desktop01(), source(CD)));
        assertEquals(0, config.invokeMethod(desktop01(), configPath(), "ChangeBootOrder",
                Map.of("Source", List.of())).returnValue());
        assertEquals(Optional.empty(), next(DESKTOP_01));
        assertEquals(0, changeBootOrder(desktop01()));
    }

    @Test
    void badSourcesAreRefusedAndChangeNothing() throws Exception {
        assertEquals(0, changeBootOrder(desktop01(), source(HDD)));
        assertEquals(4, changeBootOrder(desktop01(), source("PXE")), "not one of ours: Invalid Reference");
        assertEquals(4, changeBootOrder(desktop01(), bootConfig(PXE)), "not a CIM_BootSourceSetting");
        assertEquals(4, changeBootOrder(desktop01(), CimObjectPath.of("CIM_BootSourceSetting")), "no InstanceID");
        assertEquals(1, changeBootOrder(desktop01(), source("Intel(r) AMT: Force Diagnostic Boot")),
                "an AMT source vAMT does not offer: Not Supported");
        assertEquals(1, changeBootOrder(desktop01(), source("Intel(r) AMT: Force OCR UEFI HTTPS Boot")));
        assertEquals(5, changeBootOrder(desktop01(), source(PXE), source(HDD)), "AMT forces one device");
        assertEquals(Optional.of(BootDevice.HARD_DISK), next(DESKTOP_01));
    }

    @Test
    void setBootConfigRoleResults() throws Exception {
        CimObjectPath ours = bootConfig("Intel(r) AMT: Boot Configuration 0");
        assertEquals(0, setBootConfigRole(desktop01(), ours, 1));
        assertEquals(0, setBootConfigRole(desktop01(), ours, 0));
        assertEquals(0, setBootConfigRole(desktop01(), CimObjectPath.of("CIM_BootConfigSetting"), 1),
                "a reference without selectors names the only configuration");
        assertEquals(4, setBootConfigRole(desktop01(), bootConfig("Intel(r) AMT: Boot Configuration Setting 0"), 1));
        assertEquals(4, setBootConfigRole(desktop01(), source(PXE), 1));
        assertEquals(1, setBootConfigRole(desktop01(), ours, 2), "IsDefault cannot be changed");
        assertEquals(5, setBootConfigRole(desktop01(), ours, 3));
        assertEquals(5, setBootConfigRole(desktop01(), ours, 32768));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> service.invokeMethod(desktop01(), servicePath(),
                "SetBootConfigRole", Map.of("BootConfigSetting", ours))));
        // none of this touches the pending device
        assertEquals(Optional.empty(), next(DESKTOP_01));
        assertEquals(0, changeBootOrder(desktop01(), source(CD)));
        assertEquals(4, setBootConfigRole(desktop01(), bootConfig("other"), 1));
        assertEquals(Optional.of(BootDevice.CDROM), next(DESKTOP_01));
    }

    @Test
    void bootServiceStateChange() throws Exception {
        assertEquals(0, service.invokeMethod(desktop01(), servicePath(), "RequestStateChange",
                Map.of("RequestedState", 32768L)).returnValue());
        for (long ocr : new long[] {32769, 32770, 32771}) {
            assertEquals(1, service.invokeMethod(desktop01(), servicePath(), "RequestStateChange",
                    Map.of("RequestedState", ocr)).returnValue(), "One Click Recovery / RPE " + ocr);
        }
        assertEquals(5, service.invokeMethod(desktop01(), servicePath(), "RequestStateChange",
                Map.of("RequestedState", 3L)).returnValue());
    }

    @Test
    void otherMethodsAreNotAvailable() throws Exception {
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> config.invokeMethod(desktop01(), configPath(),
                "ValidateSettings", Map.of())));
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> service.invokeMethod(desktop01(), servicePath(),
                "ApplyBootConfigSetting", Map.of())));
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> settingData.invokeMethod(desktop01(),
                settings(desktop01()).path(), "ChangeBootOrder", Map.of())));
    }

    @Test
    void unknownVmIsNotFound() throws Exception {
        RequestContext ghost = ctx(UNKNOWN, "ghost");
        CimObjectPath configPath = configPath();
        CimObjectPath servicePath = servicePath();
        CimInstance current = settings(desktop01());
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> settingData.enumerateInstances(ghost, "AMT_BootSettingData")));
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> settingData.modifyInstance(ghost, current, current)));
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> config.invokeMethod(ghost, configPath, "ChangeBootOrder",
                Map.of("Source", List.of(source(PXE))))));
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> service.invokeMethod(ghost, servicePath, "SetBootConfigRole",
                Map.of("BootConfigSetting", bootConfig("Intel(r) AMT: Boot Configuration 0"), "Role", 1L))));
    }

    @Test
    void pendingDeviceAndSettingsSurviveANewProviderSet() throws Exception {
        assertEquals(0, changeBootOrder(buildServer(), source(CD)));
        put(settingData, buildServer(), "UseSOL", true);
        BootConfigSettingProvider config2 = new BootConfigSettingProvider(hv);
        assertEquals(1, config2.enumerateInstances(buildServer(), "CIM_BootConfigSetting").size());
        assertEquals(Optional.of(BootDevice.CDROM), next(BUILD_SERVER));
        assertEquals(Boolean.TRUE, only(new BootSettingDataProvider(hv)
                .enumerateInstances(buildServer(), "AMT_BootSettingData")).get("UseSOL"));
    }
}
