package org.vamt.cira;

import java.util.Optional;

/**
 * A per-VM source of CIRA profiles that takes precedence over the operator's configuration: what
 * a console set up through WS-Management (AMT_RemoteAccessService and friends; not built yet).
 * When a profile changes, the source calls {@link Cira#refresh(String)}.
 */
public interface CiraProfileSource {
    /** The VM's profile, or empty to leave it to the operator's configuration. */
    Optional<CiraProfile> profile(String vmUuid, String vmName);
}
