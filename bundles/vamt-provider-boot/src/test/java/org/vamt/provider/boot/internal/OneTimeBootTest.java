package org.vamt.provider.boot.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.BootListenerAccess;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * A console's whole boot sequence, then the power-on that uses it, on the shut-off demo machine
 * build-server (whose normal boot order is network, then hard disk).
 */
class OneTimeBootTest {
    private static final Pattern FIRST_BOOT = Pattern.compile("<boot\\s+dev=['\"]([a-z]+)['\"]");
    private static final RequestContext CTX = BootProvidersTest.buildServer();

    private DemoHypervisor demo;
    private Hypervisor hv;
    private BootSettingDataProvider settingData;
    private BootConfigSettingProvider config;
    private BootServiceProvider service;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        settingData = new BootSettingDataProvider(hv);
        config = new BootConfigSettingProvider(hv);
        service = new BootServiceProvider(hv);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    /** MeshCentral's sequence: Put, SetBootConfigRole(1), ChangeBootOrder(source). */
    private void meshCentralSequence(String sourceId) throws Exception {
        var current = settingData.enumerateInstances(CTX, "AMT_BootSettingData").get(0);
        settingData.modifyInstance(CTX, current, current.toBuilder().property("UseSOL", true).build());
        CimObjectPath servicePath = service.enumerateInstances(CTX, "CIM_BootService").get(0).path();
        assertEquals(0, service.invokeMethod(CTX, servicePath, "SetBootConfigRole", Map.of("BootConfigSetting",
                BootProvidersTest.bootConfig(BootNames.CONFIG_ID), "Role", 1L)).returnValue());
        CimObjectPath configPath = config.enumerateInstances(CTX, "CIM_BootConfigSetting").get(0).path();
        assertEquals(0, config.invokeMethod(CTX, configPath, "ChangeBootOrder",
                Map.of("Source", List.of(BootProvidersTest.source(sourceId)))).returnValue());
    }

    private String firstBootDevice() throws Exception {
        Matcher m = FIRST_BOOT.matcher(hv.definitionXml(BUILD_SERVER));
        return m.find() ? m.group(1) : null;
    }

    private Object useSolAfterStart() throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Object v;
        do {
            v = settingData.enumerateInstances(CTX, "AMT_BootSettingData").get(0).get("UseSOL");
            if (Boolean.FALSE.equals(v)) {
                return v;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return v;
    }

    @Test
    void powerOnBootsFromTheNetworkOnceAndClearsTheOptions() throws Exception {
        BootListenerAccess.addMachineListener(demo, new BootSettingsReset(hv));   // as Declarative Services binds it
        meshCentralSequence(BootProvidersTest.PXE);
        assertEquals(Optional.of(BootDevice.NETWORK), hv.nextBootDevice(BUILD_SERVER));

        hv.powerOn(BUILD_SERVER);
        assertEquals(MachineState.RUNNING, hv.machine(BUILD_SERVER).orElseThrow().state());
        assertEquals("network", firstBootDevice());
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER), "one-shot: used by this start");
        assertEquals(Boolean.FALSE, useSolAfterStart(), "the boot options are one-shot too");
    }

    @Test
    void hardDriveOnceThenTheNormalOrderAgain() throws Exception {
        assertEquals("network", firstBootDevice(), "build-server normally boots from the network first");
        meshCentralSequence(BootProvidersTest.HDD);

        hv.powerOn(BUILD_SERVER);
        assertEquals("hd", firstBootDevice(), "this start boots from the disk");
        assertEquals(Optional.empty(), hv.nextBootDevice(BUILD_SERVER));

        hv.powerOff(BUILD_SERVER);
        assertEquals("network", firstBootDevice(), "the definition keeps its normal order");
        hv.powerOn(BUILD_SERVER);
        assertEquals("network", firstBootDevice(), "the next start is a normal one");
    }
}
