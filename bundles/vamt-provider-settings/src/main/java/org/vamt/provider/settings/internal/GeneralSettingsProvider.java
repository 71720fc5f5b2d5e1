package org.vamt.provider.settings.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.provider.support.AmtNames;

/**
 * What a console checks before it accepts a device: MeshCentral Gets AMT_GeneralSettings and
 * IPS_HostBasedSetupService on connect and drops the device unless the Digest realm it was
 * challenged with equals DigestRealm; MeshCommander reads the provisioning state. A VM's vAMT is
 * always provisioned, in admin control mode.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_GeneralSettings",
    CimProvider.CLASSES + "=IPS_HostBasedSetupService",
    CimProvider.CLASSES + "=AMT_SetupAndConfigurationService"})
public class GeneralSettingsProvider implements CimProvider {

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
        return switch (className.toLowerCase(Locale.ROOT)) {
            case "amt_generalsettings" -> List.of(generalSettings(ctx));
            case "ips_hostbasedsetupservice" -> List.of(hostBasedSetup(ctx));
            default -> List.of(setupAndConfiguration());
        };
    }

    private static CimInstance generalSettings(RequestContext ctx) {
        return CimInstance.builder("AMT_GeneralSettings")
                .property("AMTNetworkEnabled", 1)
                .property("DDNSPeriodicUpdateInterval", 1440)
                .property("DDNSTTL", 900)
                .property("DDNSUpdateByDHCPServerEnabled", true)
                .property("DDNSUpdateEnabled", false)
                .property("DHCPv6ConfigurationTimeout", 0)
                .property("DigestRealm", ctx.digestRealm())
                .property("DomainName", "")
                .property("ElementName", "Intel(r) AMT: General Settings")
                .property("HostName", hostName(ctx.machineName()))
                .key("InstanceID", "Intel(r) AMT: General Settings")
                .property("NetworkInterfaceEnabled", true)
                .property("PingResponseEnabled", true)
                .property("PowerSource", 0)
                .property("PreferredAddressFamily", 0)
                .property("PresenceNotificationInterval", 0)
                .property("PrivacyLevel", 0)
                .property("RmcpPingResponseEnabled", true)
                .property("SharedFQDN", true)
                .property("ThunderboltDockEnabled", 0)
                .property("WsmanOnlyMode", false)
                .build();
    }

    /** A DNS label from the VM name: letters, digits and hyphens, at most 63 characters. */
    static String hostName(String vmName) {
        String h = vmName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (h.isEmpty()) {
            h = "vm";
        }
        return h.length() > 63 ? h.substring(0, 63).replaceAll("-+$", "") : h;   // a label may not end in "-"
    }

    private static CimInstance hostBasedSetup(RequestContext ctx) {
        return AmtNames.amtService("IPS_HostBasedSetupService", "Intel(r) AMT Host Based Setup Service")
                .property("AllowedControlModes", List.of(2, 1))
                .property("CertChainStatus", 0)
                .property("ConfigurationNonce", configurationNonce(ctx.machineId()))
                .property("CurrentControlMode", 2)
                .property("ElementName", "Intel(r) AMT Host Based Setup Service")
                .property("EnabledState", 5)
                .property("RequestedState", 12)
                .build();
    }

    /** Stable per VM, as a provisioned AMT's nonce does not change between reads. */
    private static String configurationNonce(String uuid) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(("vamt-config-nonce:" + uuid)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CimInstance setupAndConfiguration() {
        return AmtNames.amtService("AMT_SetupAndConfigurationService", "Intel(r) AMT Setup and Configuration Service")
                .property("ElementName", "Intel(r) AMT Setup and Configuration Service")
                .property("EnabledState", 5)
                .property("PasswordModel", 1)
                .property("ProvisioningMode", 1)
                .property("ProvisioningServerOTP", null)
                .property("ProvisioningState", 2)
                .property("RequestedState", 12)
                .property("ZeroTouchConfigurationEnabled", false)
                .build();
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        if ("AMT_SetupAndConfigurationService".equalsIgnoreCase(target.className())
                && "CommitChanges".equalsIgnoreCase(method)) {
            // Settings take effect immediately in vAMT; committing has nothing left to do.
            return MethodResult.of(0);
        }
        throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + " on " + target.className());
    }
}
