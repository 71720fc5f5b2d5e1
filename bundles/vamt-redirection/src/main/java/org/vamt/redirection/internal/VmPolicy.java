package org.vamt.redirection.internal;

import java.util.Optional;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.redirection.RedirectionMetadata;

/**
 * What a VM's redirection state allows right now, read from its metadata on every session start
 * (the AMT_RedirectionService / CIM_KVMRedirectionSAP / IPS_OptInService providers write it).
 * Unreadable values count as the defaults, as the providers read them.
 */
record VmPolicy(boolean listenerEnabled, boolean solEnabled, boolean iderEnabled, boolean kvmEnabled,
                boolean kvmNeedsConsent) {

    static VmPolicy read(Hypervisor hypervisor, String uuid) throws HypervisorException {
        long state = number(hypervisor.metadata(uuid, RedirectionMetadata.SOL_IDER_STATE),
                RedirectionMetadata.SOL_IDER_STATE_DEFAULT);
        if (state < 32768 || state > 32771) {
            state = RedirectionMetadata.SOL_IDER_STATE_DEFAULT;
        }
        boolean listener = flag(hypervisor.metadata(uuid, RedirectionMetadata.LISTENER_ENABLED),
                RedirectionMetadata.LISTENER_ENABLED_DEFAULT);
        boolean kvm = flag(hypervisor.metadata(uuid, RedirectionMetadata.KVM_ENABLED),
                RedirectionMetadata.KVM_ENABLED_DEFAULT);
        long optIn = number(hypervisor.metadata(uuid, RedirectionMetadata.OPT_IN_REQUIRED),
                RedirectionMetadata.OPT_IN_REQUIRED_DEFAULT);
        return new VmPolicy(listener, (state & 2) != 0, (state & 1) != 0, kvm, optIn == 1 || optIn == 4294967295L);
    }

    private static long number(Optional<String> text, long otherwise) {
        try {
            return text.map(t -> Long.parseLong(t.trim())).orElse(otherwise);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static boolean flag(Optional<String> text, boolean otherwise) {
        return text.map(String::trim).map(t -> t.equals("true") ? Boolean.TRUE : t.equals("false") ? Boolean.FALSE
                : null).orElse(otherwise);
    }
}
