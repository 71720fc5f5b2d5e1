package org.vamt.provider.redirection;

import java.util.Map;
import java.util.Set;
import org.vamt.hypervisor.state.StateType;
import org.vamt.provider.redirection.internal.RfbPasswordSeal;

/**
 * A VM's redirection state as kept with the VM (typed per-VM state, namespace {@code redirection}).
 * vamt-provider-redirection owns and writes it (AMT_RedirectionService, CIM_KVMRedirectionSAP,
 * IPS_KVMRedirectionSettingData, IPS_OptInService); the redirection listener (vamt-redirection)
 * reads it through {@link #STATE} on every session start.
 *
 * @param solIderState        AMT_RedirectionService.EnabledState: 32768 + bit 0 IDE-R + bit 1 SOL
 * @param listenerEnabled     AMT_RedirectionService.ListenerEnabled
 * @param kvmEnabled          CIM_KVMRedirectionSAP enabled (RequestStateChange 2/3)
 * @param optInRequired       IPS_OptInService.OptInRequired: 0 none, 1 KVM, 4294967295 all
 * @param optInDisplayTimeout IPS_OptInService.OptInDisplayTimeout (= OptInPolicyTimeout), seconds
 * @param port5900Enabled     IPS_KVMRedirectionSettingData.Is5900PortEnabled
 * @param sessionTimeout      IPS_KVMRedirectionSettingData.SessionTimeout (minutes, 0 never)
 * @param defaultScreen       IPS_KVMRedirectionSettingData.DefaultScreen
 * @param backToBackFrames    IPS_KVMRedirectionSettingData.BackToBackFbMode
 * @param rfbPassword         IPS_KVMRedirectionSettingData.RFBPassword, sealed (never in clear: the
 *                            key is a file in Karaf's etc/, not beside this state); null when unset
 */
public record RedirectionSettings(long solIderState, boolean listenerEnabled, boolean kvmEnabled,
                                  long optInRequired, long optInDisplayTimeout, boolean port5900Enabled,
                                  long sessionTimeout, long defaultScreen, boolean backToBackFrames,
                                  String rfbPassword) {
    public static final long SOL_IDER_STATE_DEFAULT = 32771;
    public static final RedirectionSettings DEFAULTS = new RedirectionSettings(SOL_IDER_STATE_DEFAULT, false, true, 0,
            300, false, 0, 0, false, null);

    /** Keys of the untyped metadata form before typed state (the RFB password was there in clear). */
    public static final Set<String> LEGACY_KEYS = Set.of("redirection.solIderState", "redirection.listenerEnabled",
            "redirection.kvmEnabled", "redirection.optInRequired", "redirection.optInDisplayTimeout",
            "redirection.kvmSettings", "redirection.rfbPassword");

    /**
     * The namespace and its migration. The old form's clear-text RFB password is sealed on the way
     * (with this bundle's key, whoever reads first), and the migrating write drops the old keys in
     * the same compare-and-set, so it is never written back in clear.
     */
    public static final StateType<RedirectionSettings> STATE = StateType.of("redirection", RedirectionSettings.class,
            DEFAULTS).migratingFrom(LEGACY_KEYS, (uuid, legacy) -> {
                RedirectionSettings s = fromLegacy(legacy);
                String clear = legacy.get("redirection.rfbPassword");
                return clear == null || clear.isEmpty() ? s.withRfbPassword(null)
                        : s.withRfbPassword(RfbPasswordSeal.seal(uuid, clear));
            });

    /** Whether SOL sessions are allowed. */
    public boolean solEnabled() {
        return (solIderState & 2) != 0;
    }

    /** Whether IDE-R sessions are allowed. */
    public boolean iderEnabled() {
        return (solIderState & 1) != 0;
    }

    /** Whether a KVM session needs the user's consent. */
    public boolean kvmNeedsConsent() {
        return optInRequired == 1 || optInRequired == 4294967295L;
    }

    public RedirectionSettings withSolIderState(long v) {
        return new RedirectionSettings(v, listenerEnabled, kvmEnabled, optInRequired, optInDisplayTimeout,
                port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames, rfbPassword);
    }

    public RedirectionSettings withListenerEnabled(boolean v) {
        return new RedirectionSettings(solIderState, v, kvmEnabled, optInRequired, optInDisplayTimeout,
                port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames, rfbPassword);
    }

    public RedirectionSettings withKvmEnabled(boolean v) {
        return new RedirectionSettings(solIderState, listenerEnabled, v, optInRequired, optInDisplayTimeout,
                port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames, rfbPassword);
    }

    public RedirectionSettings withConsent(long required, long displayTimeout) {
        return new RedirectionSettings(solIderState, listenerEnabled, kvmEnabled, required, displayTimeout,
                port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames, rfbPassword);
    }

    public RedirectionSettings withKvmSettings(boolean port5900, long timeout, long screen, boolean backToBack) {
        return new RedirectionSettings(solIderState, listenerEnabled, kvmEnabled, optInRequired, optInDisplayTimeout,
                port5900, timeout, screen, backToBack, rfbPassword);
    }

    public RedirectionSettings withRfbPassword(String sealed) {
        return new RedirectionSettings(solIderState, listenerEnabled, kvmEnabled, optInRequired, optInDisplayTimeout,
                port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames, sealed);
    }

    /** The old untyped keys; unreadable values are the defaults, as they were read before. */
    static RedirectionSettings fromLegacy(Map<String, String> legacy) {
        Map<String, String> kvm = new java.util.HashMap<>();
        for (String pair : legacy.getOrDefault("redirection.kvmSettings", "").split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                kvm.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        return new RedirectionSettings(
                number(legacy.get("redirection.solIderState"), SOL_IDER_STATE_DEFAULT),
                flag(legacy.get("redirection.listenerEnabled"), false),
                flag(legacy.get("redirection.kvmEnabled"), true),
                number(legacy.get("redirection.optInRequired"), 0),
                number(legacy.get("redirection.optInDisplayTimeout"), 300),
                "true".equals(kvm.get("Is5900PortEnabled")),
                number(kvm.get("SessionTimeout"), 0),
                number(kvm.get("DefaultScreen"), 0),
                "true".equals(kvm.get("BackToBackFbMode")),
                legacy.get("redirection.rfbPassword"));
    }

    private static long number(String text, long otherwise) {
        try {
            return text == null ? otherwise : Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static boolean flag(String text, boolean otherwise) {
        return text == null ? otherwise : "true".equals(text.trim()) ? true : "false".equals(text.trim()) ? false
                : otherwise;
    }
}
