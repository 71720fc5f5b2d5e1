package org.vamt.provider.boot.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.hypervisor.state.StateType;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.model.AMT_BootSettingData;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pending AMT_BootSettingData of one VM: what a client may set and vAMT keeps. Only options
 * vAMT honours, or that have no effect on a VM, are kept; the others must stay false (or 0), as
 * AMT_BootCapabilities advertises. Kept with the VM as typed state (namespace {@code boot}, see
 * {@link #STATE}), so it survives vAMT restarts and travels with the VM; the old metadata key
 * {@value #LEGACY_KEY} ({@code Name=value;…}) is migrated on first read.
 *
 * @param useSol            UseSOL: serial-over-LAN during the boot (the serial console is there anyway)
 * @param enforceSecureBoot EnforceSecureBoot: applies only to IDE-R and HTTPS boots (a VM's firmware has no
 *                          secure-boot check of them)
 * @param iderBootDevice    IDERBootDevice (0 floppy, 1 CD): applies only when UseIDER
 * @param useIder           UseIDER: boot once from the CD image of a live IDE-R session; only the CD (1) is
 *                          presented to a VM, so UseIDER needs IDERBootDevice 1
 */
record BootSettings(boolean useSol, boolean enforceSecureBoot, long iderBootDevice, boolean useIder) {
    private static final Logger LOG = LoggerFactory.getLogger(BootSettings.class);

    /** The key of the untyped form before typed state. */
    static final String LEGACY_KEY = "boot.settingData";
    static final BootSettings DEFAULTS = new BootSettings(false, false, 0, false);
    /** This bundle's namespace of per-VM state; nobody else reads it. */
    static final StateType<BootSettings> STATE = StateType.of("boot", BootSettings.class, DEFAULTS)
            .migratingFrom(Set.of(LEGACY_KEY), (uuid, legacy) -> parse(legacy.get(LEGACY_KEY)));

    /** Options vAMT cannot carry out: a Put may only leave them false. */
    static final List<String> FALSE_ONLY = List.of("UseSafeMode", "ReflashBIOS", "BIOSSetup", "BIOSPause",
            "LockPowerButton", "LockResetButton", "LockKeyboard", "LockSleepButton", "UserPasswordBypass",
            "ForcedProgressEvents", "ConfigurationDataReset", "SecureErase", "PlatformErase");

    /**
     * Numbers vAMT only knows at 0: system-default firmware verbosity (no Verbosity* capability),
     * the default boot medium of the forced device, no One Click Recovery parameters.
     */
    static final List<String> ZERO_ONLY = List.of("FirmwareVerbosity", "BootMediaIndex", "UefiBootNumberOfParams");

    /** Reads the settings a client's AMT_BootSettingData asks for; INVALID_PARAMETER for what vAMT cannot do. */
    static BootSettings from(CimInstance requested, BootSettings current) throws CimException {
        return from((Function<String, Object>) requested::get, current);
    }

    /**
     * The same from a property lookup: with only the properties a client changed, it applies the
     * change to whatever is stored now (another gateway's change to other properties stays).
     */
    static BootSettings from(Function<String, Object> requested, BootSettings current) throws CimException {
        for (String p : FALSE_ONLY) {
            Object v = requested.apply(p);
            if (v != null && CimValues.toBoolean(v)) {
                throw new CimException(CimStatus.INVALID_PARAMETER,
                        p + " is not supported by this (virtual) Intel(r) AMT; see AMT_BootCapabilities");
            }
        }
        for (String p : ZERO_ONLY) {
            Object v = requested.apply(p);
            if (v != null && CimValues.toLong(v) != 0) {
                throw new CimException(CimStatus.INVALID_PARAMETER, p + " must be 0 on this (virtual) Intel(r) AMT");
            }
        }
        Object params = requested.apply("UefiBootParametersArray");
        if (params != null && !String.valueOf(params).isBlank()
                && !(params instanceof List<?> l && l.isEmpty())) {
            throw new CimException(CimStatus.INVALID_PARAMETER,
                    "UefiBootParametersArray: One Click Recovery is not supported by this (virtual) Intel(r) AMT");
        }
        long ider = current.iderBootDevice;
        Object iderValue = requested.apply("IDERBootDevice");
        if (iderValue != null) {
            ider = CimValues.toLong(iderValue);
            if (ider != 0 && ider != 1) {
                throw new CimException(CimStatus.INVALID_PARAMETER, "IDERBootDevice must be 0 (floppy) or 1 (CD)");
            }
        }
        boolean useIder = bool(requested, "UseIDER", current.useIder);
        if (useIder && ider != 1) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "UseIDER: this (virtual) Intel(r) AMT boots VMs from"
                    + " the IDE-R CD only (IDERBootDevice 1), not from a floppy image");
        }
        return new BootSettings(bool(requested, "UseSOL", current.useSol),
                bool(requested, "EnforceSecureBoot", current.enforceSecureBoot), ider, useIder);
    }

    private static boolean bool(Function<String, Object> i, String name, boolean otherwise) throws CimException {
        Object v = i.apply(name);
        return v == null ? otherwise : CimValues.toBoolean(v);
    }

    /**
     * The instance clients read. Read-only extras are reported with the values consoles send back
     * in a Put (Intel's Go client sends every property, OptionsCleared always true), so a
     * whole-instance Put does not look like a change to a read-only property.
     */
    AMT_BootSettingData toTyped() {
        AMT_BootSettingData d = new AMT_BootSettingData()
                .setInstanceID(BootNames.SETTING_DATA_ID)
                .setElementName(BootNames.SETTING_DATA_NAME)
                .setOwningEntity(BootNames.OWNING_ENTITY)
                .setUseSOL(useSol)
                .setUseSafeMode(false)
                .setReflashBIOS(false)
                .setBIOSSetup(false)
                .setBIOSPause(false)
                .setLockPowerButton(false)
                .setLockResetButton(false)
                .setLockKeyboard(false)
                .setLockSleepButton(false)
                .setUserPasswordBypass(false)
                .setForcedProgressEvents(false)
                .setFirmwareVerbosity(0)
                .setConfigurationDataReset(false)
                .setIDERBootDevice(iderBootDevice)
                .setUseIDER(useIder)
                .setEnforceSecureBoot(enforceSecureBoot)
                .setBootMediaIndex(0)
                .setSecureErase(false)
                .setPlatformErase(false)
                .setRSEPassword("")   // write-only: always read back empty
                .setOptionsCleared(true)
                .setWinREBootEnabled(false)
                .setUEFILocalPBABootEnabled(false)
                .setUEFIHTTPSBootEnabled(false)
                .setSecureBootControlEnabled(false)
                .setRPEEnabled(false)
                .setBootguardStatus(0)
                // general status 2 "not updated", detail 0: what AMT reports when the BIOS has no
                // boot-option status to give (a VM's firmware reports none)
                .setBIOSLastStatus(2, 0)
                .setUefiBootNumberOfParams(0)
                .setUefiBootParametersArray("");
        return d;
    }

    String serialize() {
        return "UseSOL=" + useSol + ";EnforceSecureBoot=" + enforceSecureBoot + ";IDERBootDevice=" + iderBootDevice
                + ";UseIDER=" + useIder;
    }

    /** Parses the old metadata form ({@link #serialize()}); unknown names are ignored, bad values fall back to the defaults. */
    static BootSettings parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : text.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        long ider = 0;
        try {
            ider = Long.parseLong(values.getOrDefault("IDERBootDevice", "0"));
        } catch (NumberFormatException e) {
            LOG.warn("Ignoring a bad IDERBootDevice in the stored boot settings: {}", values.get("IDERBootDevice"));
        }
        return new BootSettings("true".equals(values.get("UseSOL")), "true".equals(values.get("EnforceSecureBoot")),
                ider == 1 ? 1 : 0, false);
    }

    /** The VM's pending settings, the defaults when none are stored. */
    static BootSettings load(Hypervisor hypervisor, String uuid) throws HypervisorException {
        return new StateStore<>(hypervisor, STATE).get(uuid);
    }
}
