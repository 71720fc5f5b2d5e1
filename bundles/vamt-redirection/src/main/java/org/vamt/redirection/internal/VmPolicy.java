package org.vamt.redirection.internal;

import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.redirection.RedirectionSettings;

/**
 * What a VM's redirection state allows right now, read on every session start through the owner's
 * type ({@link RedirectionSettings}: the AMT_RedirectionService / CIM_KVMRedirectionSAP /
 * IPS_OptInService providers write it). An EnabledState vAMT does not know counts as the default.
 */
record VmPolicy(boolean listenerEnabled, boolean solEnabled, boolean iderEnabled, boolean kvmEnabled,
                boolean kvmNeedsConsent) {

    static VmPolicy read(Hypervisor hypervisor, String uuid) throws HypervisorException {
        RedirectionSettings s = new StateStore<>(hypervisor, RedirectionSettings.STATE).get(uuid);
        if (s.solIderState() < 32768 || s.solIderState() > 32771) {
            s = s.withSolIderState(RedirectionSettings.SOL_IDER_STATE_DEFAULT);
        }
        return new VmPolicy(s.listenerEnabled(), s.solEnabled(), s.iderEnabled(), s.kvmEnabled(), s.kvmNeedsConsent());
    }
}
