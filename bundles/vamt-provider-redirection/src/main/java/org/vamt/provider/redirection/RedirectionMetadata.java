package org.vamt.provider.redirection;

/**
 * The keys of the redirection state vAMT keeps in each VM's metadata (Hypervisor.metadata), for
 * the redirection listener that honours it. Absent keys mean the defaults given here.
 */
public final class RedirectionMetadata {
    /** AMT_RedirectionService.EnabledState: 32768 + bit 0 IDE-R allowed + bit 1 SOL allowed. */
    public static final String SOL_IDER_STATE = "redirection.solIderState";
    public static final long SOL_IDER_STATE_DEFAULT = 32771;
    /** AMT_RedirectionService.ListenerEnabled: "true" when the redirection port serves this VM. */
    public static final String LISTENER_ENABLED = "redirection.listenerEnabled";
    public static final boolean LISTENER_ENABLED_DEFAULT = false;
    /** CIM_KVMRedirectionSAP enabled ("true"/"false"). */
    public static final String KVM_ENABLED = "redirection.kvmEnabled";
    public static final boolean KVM_ENABLED_DEFAULT = true;
    /** IPS_OptInService.OptInRequired: 0 none, 1 KVM, 4294967295 all. */
    public static final String OPT_IN_REQUIRED = "redirection.optInRequired";
    public static final long OPT_IN_REQUIRED_DEFAULT = 0;

    private RedirectionMetadata() {
    }
}
