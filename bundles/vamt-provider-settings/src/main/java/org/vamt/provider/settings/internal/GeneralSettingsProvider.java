package org.vamt.provider.settings.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Reference;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.support.Machines;
import org.osgi.service.component.annotations.Component;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_CryptographicCapabilities;
import org.vamt.cim.model.AMT_GeneralSettings;
import org.vamt.cim.model.AMT_SetupAndConfigurationService;
import org.vamt.cim.model.IPS_HostBasedSetupService;
import org.vamt.cim.model.IPS_ProvisioningRecordLog;
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
    CimProvider.CLASSES + "=AMT_SetupAndConfigurationService",
    CimProvider.CLASSES + "=IPS_ProvisioningRecordLog",
    CimProvider.CLASSES + "=AMT_CryptographicCapabilities",
    CimProvider.REALM_PREFIX + "AMT_GeneralSettings=*,3",
    CimProvider.REALM_PREFIX + "IPS_HostBasedSetupService=*,3"})
public class GeneralSettingsProvider implements CimProvider {
    /** ProvisioningServerOTP as AMT reports it without one: 32 zero bytes, base64. */
    static final String NO_OTP = Base64.getEncoder().encodeToString(new byte[32]);
    /** Metadata key of the AMT_GeneralSettings values a console has written (Put). */

    private final Hypervisor hypervisor;

    @Activate
    public GeneralSettingsProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        return switch (className.toLowerCase(Locale.ROOT)) {
            case "amt_generalsettings" -> List.of(withHostFqdn(withStored(generalSettings(ctx), stored(ctx))));
            case "ips_hostbasedsetupservice" -> List.of(hostBasedSetup(ctx));
            case "ips_provisioningrecordlog" -> List.of(provisioningRecordLog());
            case "amt_cryptographiccapabilities" -> List.of(cryptographicCapabilities());
            default -> List.of(setupAndConfiguration());
        };
    }

    private static CimInstance generalSettings(RequestContext ctx) {
        return new AMT_GeneralSettings()
                .setInstanceID("Intel(r) AMT: General Settings")
                .setElementName("Intel(r) AMT: General Settings")
                .setAMTNetworkEnabled(1)
                .setDDNSPeriodicUpdateInterval(1440)
                .setDDNSTTL(900)
                .setDDNSUpdateByDHCPServerEnabled(true)
                .setDDNSUpdateEnabled(false)
                .setDHCPv6ConfigurationTimeout(0)
                .setDigestRealm(ctx.digestRealm())
                .setDomainName("")
                .setHostName(hostName(ctx.machineName()))
                // AMT's default: stay powered "forever" (65535 minutes) after a wake-up; a VM's AMT
                // costs nothing while the VM sleeps.
                .setIdleWakeTimeout(65535L)
                .setNetworkInterfaceEnabled(true)
                .setPingResponseEnabled(true)
                .setPowerSource(0)
                .setPreferredAddressFamily(0)
                .setPresenceNotificationInterval(0)
                .setPrivacyLevel(0)
                .setRmcpPingResponseEnabled(true)
                .setSharedFQDN(true)
                .setThunderboltDockEnabled(0)
                .setWsmanOnlyMode(false)
                .toInstance();
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
        return new IPS_HostBasedSetupService()
                .setCreationClassName(IPS_HostBasedSetupService.CLASS_NAME)
                .setName("Intel(r) AMT Host Based Setup Service")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName("Intel(r) AMT Host Based Setup Service")
                .setAllowedControlModes(2, 1)
                .setCertChainStatus(0)
                .setConfigurationNonce(configurationNonce(ctx.machineId()))
                .setCurrentControlMode(2)
                .setEnabledState(5)
                .setRequestedState(12)
                .toInstance();
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

    /**
     * AMT's provisioning record log. A real AMT keeps one record of how it was provisioned (by a
     * provisioning server or host-based setup); a VM's vAMT was never provisioned by anyone, it is
     * in admin control mode by construction, so its log is empty (CurrentNumberOfRecords 0) and a
     * console finds no record that vAMT would have to invent. The rest is AMT's: room for one
     * record, wraps, enabled, LogState 4 (not applicable).
     */
    private static CimInstance provisioningRecordLog() {
        return new IPS_ProvisioningRecordLog()
                .setInstanceID("Intel(r) AMT: RecordLog 1")
                .setName("Intel(r) AMT Provisioning Record Log")
                .setElementName("Intel(r) AMT Provisioning Record Log")
                .setCurrentNumberOfRecords(0)
                .setMaxNumberOfRecords(1)
                .setOverwritePolicy(2)
                .setLogState(4)
                .setEnabledState(2)
                .setRequestedState(12)
                .setHealthState(0)
                .toInstance();
    }

    /**
     * The AMT subsystem's cryptography, AMT's answer: hardware acceleration (1). vAMT's TLS and
     * Digest run on the host's CPU, whose AES and SHA instructions are the acceleration a VM has.
     */
    private static CimInstance cryptographicCapabilities() {
        return new AMT_CryptographicCapabilities()
                .setInstanceID("Intel(r) AMT: Cryptographic Capabilities 0")
                .setElementName("Intel(r) AMT: Cryptographic Capabilities")
                .setHardwareAcceleration(1)
                .toInstance();
    }

    private static CimInstance setupAndConfiguration() {
        return new AMT_SetupAndConfigurationService()
                .setCreationClassName(AMT_SetupAndConfigurationService.CLASS_NAME)
                .setName("Intel(r) AMT Setup and Configuration Service")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName("Intel(r) AMT Setup and Configuration Service")
                .setEnabledState(5)
                .setPasswordModel(1)
                .setProvisioningMode(1)
                .setProvisioningState(2)
                .setRequestedState(12)
                .setZeroTouchConfigurationEnabled(false)
                // AMT answers with 32 zero bytes when no one-time password was set (none can be, here)
                .setProvisioningServerOTP(NO_OTP)
                .toInstance();
    }

    /**
     * A console's Put (MeshCentral writes HostName and DomainName). The CIMOM has already limited
     * the change to [Write] properties; what differs from the current values is kept with the VM.
     */
    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        if (!"AMT_GeneralSettings".equalsIgnoreCase(current.className())) {
            throw new CimException(CimStatus.NOT_SUPPORTED, "Put of " + current.className());
        }
        Map<String, String> changes = new java.util.TreeMap<>();
        for (Map.Entry<String, Object> e : modified.properties().entrySet()) {
            Object now = current.get(e.getKey());
            if (!String.valueOf(e.getValue()).equals(String.valueOf(now))) {
                String value = String.valueOf(e.getValue());
                if (e.getKey().equalsIgnoreCase("HostName") && !value.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")) {
                    throw new CimException(CimStatus.INVALID_PARAMETER, "HostName must be a DNS label: " + value);
                }
                changes.put(e.getKey(), value);
            }
        }
        // only what this Put changed, onto what is stored now (compare-and-set): another console's
        // concurrent change of another property is kept
        try {
            GeneralSettingsState stored = new StateStore<>(hypervisor, GeneralSettingsState.STATE)
                    .update(ctx.machineId(), s -> s.with(changes));
            return withHostFqdn(withStored(generalSettings(ctx), stored.written()));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    private Map<String, String> stored(RequestContext ctx) throws CimException {
        try {
            return new StateStore<>(hypervisor, GeneralSettingsState.STATE).get(ctx.machineId()).written();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /**
     * HostOSFQDN, unless a console wrote one: with SharedFQDN the host's name is AMT's, so it is
     * HostName, plus "." and DomainName when a domain is set (as consoles wrote them or the VM's name).
     */
    private static CimInstance withHostFqdn(CimInstance settings) {
        Object written = settings.get("HostOSFQDN");
        if (written != null && !written.toString().isEmpty()) {
            return settings;
        }
        String host = String.valueOf(settings.get("HostName"));
        Object domain = settings.get("DomainName");
        String fqdn = domain == null || domain.toString().isEmpty() ? host : host + "." + domain;
        return settings.toBuilder().property("HostOSFQDN", fqdn).build();
    }

    /** The defaults with what consoles wrote on top (as text; the CIMOM types it by the MOF). */
    private static CimInstance withStored(CimInstance defaults, Map<String, String> stored) {
        CimInstance.Builder b = defaults.toBuilder();
        stored.forEach(b::property);
        return b.build();
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
