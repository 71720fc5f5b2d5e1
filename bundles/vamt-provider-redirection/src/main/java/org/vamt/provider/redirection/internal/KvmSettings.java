package org.vamt.provider.redirection.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;

/**
 * The KVM settings of one VM that belong to IPS_KVMRedirectionSettingData alone (the consent
 * policy is {@link ConsentPolicy}, the VNC password is stored on its own). Kept in the VM's
 * metadata as {@code Name=value;…}.
 *
 * @param port5900Enabled  Is5900PortEnabled: plain VNC on TCP 5900 besides the redirection port
 * @param sessionTimeout   SessionTimeout: idle minutes before a KVM session is closed, 0 never
 * @param defaultScreen    DefaultScreen: the display a session starts on
 * @param backToBackFrames BackToBackFbMode: send frames without waiting for update requests
 */
record KvmSettings(boolean port5900Enabled, long sessionTimeout, long defaultScreen, boolean backToBackFrames) {
    static final KvmSettings DEFAULTS = new KvmSettings(false, 0, 0, false);

    static KvmSettings of(boolean port5900Enabled, long sessionTimeout, long defaultScreen,
                          boolean backToBackFrames) throws CimException {
        if (sessionTimeout < 0 || sessionTimeout > 0xFFFF) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "SessionTimeout must be 0..65535 minutes");
        }
        if (defaultScreen < 0 || defaultScreen > 0xFF) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "DefaultScreen must be 0..255");
        }
        return new KvmSettings(port5900Enabled, sessionTimeout, defaultScreen, backToBackFrames);
    }

    String serialize() {
        return "Is5900PortEnabled=" + port5900Enabled + ";SessionTimeout=" + sessionTimeout + ";DefaultScreen="
                + defaultScreen + ";BackToBackFbMode=" + backToBackFrames;
    }

    /** Parses {@link #serialize()}'s form; unknown names are ignored, unreadable values are the defaults. */
    static KvmSettings parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : text.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        return new KvmSettings("true".equals(values.get("Is5900PortEnabled")),
                number(values.get("SessionTimeout"), 0xFFFF), number(values.get("DefaultScreen"), 0xFF),
                "true".equals(values.get("BackToBackFbMode")));
    }

    private static long number(String text, long max) {
        try {
            long v = Long.parseLong(text);
            return v >= 0 && v <= max ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
