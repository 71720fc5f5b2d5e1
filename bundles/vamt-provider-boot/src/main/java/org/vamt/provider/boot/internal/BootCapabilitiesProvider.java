package org.vamt.provider.boot.internal;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.vamt.cim.model.AMT_BootCapabilities;
import org.vamt.cim.model.AMT_BootCapabilitiesProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;

/**
 * AMT_BootCapabilities: what consoles may offer. A VM can be told to boot once from the network,
 * its disk or its CD/DVD drive; everything that needs BIOS cooperation or IDE-R is advertised as
 * absent, so MeshCommander and Intel's toolkit do not offer it. SOL is false too: it says whether
 * serial-over-LAN can be tied to the boot, which vAMT does not do (UseSOL is accepted and ignored).
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_BootCapabilities",
    CimProvider.REALM_PREFIX + "AMT_BootCapabilities=5"})
public class BootCapabilitiesProvider extends AMT_BootCapabilitiesProviderSkeleton {

    @Override
    protected List<AMT_BootCapabilities> enumerate(RequestContext ctx) {
        return List.of(capabilities());
    }

    static AMT_BootCapabilities capabilities() {
        return new AMT_BootCapabilities()
                .setInstanceID(BootNames.CAPABILITIES_ID)
                .setElementName(BootNames.CAPABILITIES_NAME)
                .setIDER(true)   // a CD image streamed over IDE-R, see BootSettingDataProvider
                .setSOL(false)
                .setBIOSReflash(false)
                .setBIOSSetup(false)
                .setBIOSPause(false)
                .setForcePXEBoot(true)
                .setForceHardDriveBoot(true)
                .setForceHardDriveSafeModeBoot(false)
                .setForceDiagnosticBoot(false)
                .setForceCDorDVDBoot(true)
                .setVerbosityScreenBlank(false)
                .setPowerButtonLock(false)
                .setResetButtonLock(false)
                .setKeyboardLock(false)
                .setSleepButtonLock(false)
                .setUserPasswordBypass(false)
                .setForcedProgressEvents(false)
                .setVerbosityVerbose(false)
                .setVerbosityQuiet(false)
                .setConfigurationDataReset(false)
                .setBIOSSecureBoot(false)
                .setSecureErase(false)
                .setForceWinREBoot(false)
                .setForceUEFILocalPBABoot(false)
                .setForceUEFIHTTPSBoot(false)
                .setAMTSecureBootControl(false)
                .setUEFIWiFiCoExistenceAndProfileShare(false)
                .setPlatformErase(0);
    }
}
