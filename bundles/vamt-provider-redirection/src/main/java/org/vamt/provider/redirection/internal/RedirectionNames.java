package org.vamt.provider.redirection.internal;

/** The names and values real AMT uses for its redirection classes, verbatim (compat section 4.8). */
final class RedirectionNames {
    static final String REDIRECTION_SERVICE = "Intel(r) AMT Redirection Service";
    static final String KVM_SAP = "KVM Redirection Service Access Point";
    static final String KVM_SETTINGS = "Intel(r) KVM Redirection Settings";
    static final String OPT_IN_SERVICE = "Intel(r) AMT OptIn Service";

    /** AMT_RedirectionService.EnabledState: bit 0 = IDE-R, bit 1 = SOL, on top of 32768. */
    static final long SOL_IDER_DISABLED = 32768;
    static final long SOL_IDER_BOTH = 32771;

    /** CIM_KVMRedirectionSAP states (DMTF EnabledState/RequestedState). */
    static final long ENABLED = 2;
    static final long DISABLED = 3;
    static final long ENABLED_BUT_OFFLINE = 6;
    static final long KVM_PROTOCOL_VNC_RFB = 4;

    /** CIM_EnabledLogicalElement.RequestStateChange return values. */
    static final long COMPLETED = 0;
    static final long INVALID_PARAMETER_DMTF = 5;

    /** AMT status codes (PT_STATUS_*), as IPS and AMT methods return them. */
    static final long PT_SUCCESS = 0;
    static final long PT_NOT_READY = 2;
    static final long PT_INVALID_PARAMETER = 36;
    /** What AMT answers to a wrong consent code (0x812). */
    static final long PT_UNSUPPORTED = 2066;

    private RedirectionNames() {
    }
}
