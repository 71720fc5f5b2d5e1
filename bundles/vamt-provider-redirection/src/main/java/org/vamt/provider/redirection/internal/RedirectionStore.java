package org.vamt.provider.redirection.internal;

import java.util.Optional;
import org.vamt.cim.CimException;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The redirection state kept with each VM, in its domain metadata under keys starting with
 * {@code redirection.}, so it survives vAMT restarts and travels with the VM. A value equal to its
 * default is stored as no metadata at all; a stored value vAMT cannot read counts as the default.
 */
final class RedirectionStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedirectionStore.class);

    /** AMT_RedirectionService.EnabledState: which of SOL and IDE-R are allowed. */
    static final String SOL_IDER_STATE = org.vamt.provider.redirection.RedirectionMetadata.SOL_IDER_STATE;
    /** AMT_RedirectionService.ListenerEnabled. */
    static final String LISTENER_ENABLED = org.vamt.provider.redirection.RedirectionMetadata.LISTENER_ENABLED;
    /** CIM_KVMRedirectionSAP: whether KVM is enabled (RequestStateChange 2/3). */
    static final String KVM_ENABLED = org.vamt.provider.redirection.RedirectionMetadata.KVM_ENABLED;
    /** IPS_KVMRedirectionSettingData, everything but the password. */
    static final String KVM_SETTINGS = "redirection.kvmSettings";
    /** IPS_KVMRedirectionSettingData.RFBPassword, needed in clear by VNC authentication. */
    static final String RFB_PASSWORD = "redirection.rfbPassword";
    /** IPS_OptInService.OptInRequired. */
    static final String OPT_IN_REQUIRED = org.vamt.provider.redirection.RedirectionMetadata.OPT_IN_REQUIRED;
    /** IPS_OptInService.OptInDisplayTimeout, which is also IPS_KVMRedirectionSettingData.OptInPolicyTimeout. */
    static final String OPT_IN_DISPLAY_TIMEOUT = "redirection.optInDisplayTimeout";

    private final Hypervisor hypervisor;

    RedirectionStore(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    Optional<String> text(String uuid, String key) throws CimException {
        try {
            return hypervisor.metadata(uuid, key);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    long number(String uuid, String key, long otherwise) throws CimException {
        Optional<String> v = text(uuid, key);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            return Long.parseLong(v.get().trim());
        } catch (NumberFormatException e) {
            LOG.warn("VM {}: ignoring unreadable {}={}", uuid, key, v.get());
            return otherwise;
        }
    }

    boolean flag(String uuid, String key, boolean otherwise) throws CimException {
        return text(uuid, key).map(v -> v.trim().equals("true") ? Boolean.TRUE
                : v.trim().equals("false") ? Boolean.FALSE : null).orElse(otherwise);
    }

    /** Stores {@code value}, or removes the key when it is the default. */
    void set(String uuid, String key, Object value, Object defaultValue) throws CimException {
        put(uuid, key, value.equals(defaultValue) ? null : String.valueOf(value));
    }

    /** Stores a text value; null removes the key. */
    void put(String uuid, String key, String value) throws CimException {
        try {
            hypervisor.setMetadata(uuid, key, value);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
