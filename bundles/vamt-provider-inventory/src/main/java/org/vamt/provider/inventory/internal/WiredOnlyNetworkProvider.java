package org.vamt.provider.inventory.internal;

import java.util.List;
import java.util.Locale;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.model.AMT_8021XProfile;
import org.vamt.cim.model.AMT_WiFiPortConfigurationService;
import org.vamt.cim.model.IPS_IEEE8021xSettings;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/**
 * Wireless and 802.1X as a wired-only AMT desktop answers them. A VM's AMT has one wired port
 * (AMT_EthernetPortSettings instance 0) and no wireless one, so there is no WiFi port, endpoint or
 * wireless profile (empty enumerations). 802.1X of the wired port is off: vAMT does not
 * authenticate the VM's port (whatever 802.1X the host's network does is the host's), so the
 * profile and the settings read disabled, as AMT ships them, and no certificate is linked to them
 * (empty credential contexts). All read-only: there is nothing to set up that vAMT would carry out.
 * The wireless configuration service is there, as on every AMT 16 (it is firmware, not a radio),
 * with nothing to configure: profile synchronization off, no SSID, UEFI sharing off. Its methods
 * are not served (wsa:ActionNotSupported): there is no wireless port to give a profile to.
 * CIM_ConcreteDependency is empty: AMT links with it a wireless profile to its 802.1X settings
 * (none here), agent-presence watchdogs to their actions (vAMT has no watchdog) and its ACL
 * identities to their roles (CIM_Identity and CIM_Role, which vAMT does not serve; a reference to
 * them would lead a console to instances it cannot read).
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_8021XProfile",
    CimProvider.CLASSES + "=CIM_IEEE8021xSettings",
    CimProvider.CLASSES + "=IPS_IEEE8021xSettings",
    CimProvider.CLASSES + "=AMT_8021xCredentialContext",
    CimProvider.CLASSES + "=IPS_8021xCredentialContext",
    CimProvider.CLASSES + "=CIM_WiFiPort",
    CimProvider.CLASSES + "=CIM_WiFiEndpoint",
    CimProvider.CLASSES + "=CIM_WiFiEndpointSettings",
    CimProvider.CLASSES + "=AMT_WiFiPortConfigurationService",
    CimProvider.CLASSES + "=CIM_ConcreteDependency",
    CimProvider.REALM_PREFIX + "AMT_8021XProfile=22",
    CimProvider.REALM_PREFIX + "CIM_IEEE8021xSettings=22",
    CimProvider.REALM_PREFIX + "IPS_IEEE8021xSettings=22",
    CimProvider.REALM_PREFIX + "AMT_8021xCredentialContext=22",
    CimProvider.REALM_PREFIX + "IPS_8021xCredentialContext=22",
    CimProvider.REALM_PREFIX + "CIM_WiFiPort=22",
    CimProvider.REALM_PREFIX + "CIM_WiFiEndpoint=22",
    CimProvider.REALM_PREFIX + "CIM_WiFiEndpointSettings=22",
    CimProvider.REALM_PREFIX + "AMT_WiFiPortConfigurationService=22",
    CimProvider.REALM_PREFIX + "CIM_ConcreteDependency=22"})
public class WiredOnlyNetworkProvider implements CimProvider {
    private final Hypervisor hypervisor;

    @Activate
    public WiredOnlyNetworkProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        Machines.require(hypervisor, ctx);
        return switch (className.toLowerCase(Locale.ROOT)) {
            case "amt_8021xprofile" -> List.of(new AMT_8021XProfile()
                    .setInstanceID("Intel(r) AMT 802.1x Profile 0")
                    .setElementName("Intel(r) AMT 802.1x Profile")
                    .setEnabled(false)
                    .setActiveInS0(true)
                    .setPxeTimeout(0L)
                    .toInstance());
            // the wired port's settings are the only 802.1X settings: no wireless profile has any
            case "cim_ieee8021xsettings", "ips_ieee8021xsettings" -> List.of(new IPS_IEEE8021xSettings()
                    .setInstanceID("Intel(r) AMT: 8021X Settings")
                    .setElementName("Intel(r) AMT: 8021X Settings")
                    .setEnabled(3L)
                    .setAvailableInS0(false)
                    .setPxeTimeout(120L)
                    .toInstance());
            case "amt_wifiportconfigurationservice" -> List.of(new AMT_WiFiPortConfigurationService()
                    .setCreationClassName(AMT_WiFiPortConfigurationService.CLASS_NAME)
                    .setName("Intel(r) AMT WiFi Port Configuration Service")
                    .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                    .setSystemName(AmtNames.AMT_SYSTEM)
                    .setElementName("Intel(r) AMT WiFiPort Configuration Service")
                    .setEnabledState(5L)
                    .setHealthState(5L)
                    .setRequestedState(12L)
                    .setLastConnectedSsidUnderMeControl("")
                    .setNoHostCsmeSoftwarePolicy(0L)
                    .setUEFIWiFiProfileShareEnabled(false)
                    .setlocalProfileSynchronizationEnabled(0L)
                    .toInstance());
            default -> List.of();
        };
    }
}
