package org.vamt.provider.redirection.internal;

import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;

/**
 * Which redirection operations need user consent, and how long a shown code stays valid. Kept per
 * VM. IPS_OptInService (OptInRequired, OptInDisplayTimeout) and IPS_KVMRedirectionSettingData
 * (OptInPolicy, OptInPolicyTimeout) are two views of it, so one Put is seen by both classes.
 *
 * @param optInRequired  0 none, 1 KVM only, 4294967295 all (KVM, IDE-R, boot options)
 * @param displayTimeout seconds a shown code stays valid, 10..4095
 */
record ConsentPolicy(long optInRequired, long displayTimeout) {
    static final long NONE = 0;
    static final long KVM = 1;
    static final long ALL = 4294967295L;
    /** vAMT behaves like AMT in admin control mode without a consent policy (compat section 4.8). */
    static final ConsentPolicy DEFAULTS = new ConsentPolicy(NONE, 300);

    ConsentPolicy {
        if (optInRequired != NONE && optInRequired != KVM && optInRequired != ALL) {
            throw new IllegalArgumentException("OptInRequired " + optInRequired);
        }
        if (displayTimeout < 10 || displayTimeout > 4095) {
            throw new IllegalArgumentException("display timeout " + displayTimeout);
        }
    }

    /** The policy a client asks for; INVALID_PARAMETER for values AMT does not define. */
    static ConsentPolicy of(long optInRequired, long displayTimeout) throws CimException {
        if (optInRequired != NONE && optInRequired != KVM && optInRequired != ALL) {
            throw new CimException(CimStatus.INVALID_PARAMETER,
                    "OptInRequired must be 0 (none), 1 (KVM) or 4294967295 (all), not " + optInRequired);
        }
        if (displayTimeout < 10 || displayTimeout > 4095) {
            throw new CimException(CimStatus.INVALID_PARAMETER,
                    "the consent code display timeout must be 10..4095 seconds, not " + displayTimeout);
        }
        return new ConsentPolicy(optInRequired, displayTimeout);
    }

    /** Whether a KVM session needs consent (IPS_KVMRedirectionSettingData.OptInPolicy). */
    boolean kvmNeedsConsent() {
        return optInRequired != NONE;
    }

    static ConsentPolicy load(RedirectionStore store, String uuid) throws CimException {
        org.vamt.provider.redirection.RedirectionSettings s = store.get(uuid);
        long required = s.optInRequired();
        long timeout = s.optInDisplayTimeout();
        // A hand-edited or foreign value falls back to what AMT ships with rather than fail every Get.
        boolean requiredKnown = required == NONE || required == KVM || required == ALL;
        boolean timeoutKnown = timeout >= 10 && timeout <= 4095;
        return new ConsentPolicy(requiredKnown ? required : DEFAULTS.optInRequired,
                timeoutKnown ? timeout : DEFAULTS.displayTimeout);
    }

    void save(RedirectionStore store, String uuid) throws CimException {
        store.update(uuid, s -> s.withConsent(optInRequired, displayTimeout));
    }
}
