package org.vamt.provider.redirection;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The user consent codes vAMT is "showing" right now. A real AMT shows the six-digit code on the
 * PC's screen for the person in front of it to read out; a VM has no such person, so the code is
 * handed to the operator instead: logged at INFO and available here, for a {@code vamt:*} shell
 * command or an admin page. Registered as an OSGi service by the IPS_OptInService provider.
 */
public interface UserConsentCodes {

    /** A code waiting to be entered by a console (IPS_OptInService.SendOptInCode). */
    record ConsentCode(String machineId, String machineName, String code, Instant expiresAt) {
    }

    /** The code shown for the VM with this UUID, while it is waiting and has not expired. */
    Optional<ConsentCode> displayedCode(String machineId);

    /** Every code waiting right now, one per VM at most. */
    List<ConsentCode> displayedCodes();

    /**
     * A KVM session that needs consent is starting: true, and OptInState becomes 4 (in session),
     * when a console entered the right code (state 3) for this VM; false otherwise.
     */
    boolean beginConsentedSession(String machineId);

    /** The consented session ended: the consent is used up (OptInState back to 0). */
    void endConsentedSession(String machineId);
}
