package org.vamt.security;

import java.util.Optional;

/**
 * What the security service needs of the users store (vamt-accounts implements it): Digest
 * credentials per VM endpoint and AMT realm grants. Kept this narrow so the security service
 * does not depend on how users are stored.
 */
public interface UserDirectory {

    /**
     * HA1 = MD5(user:realm:password), lower-case hex, for Digest on the endpoint of
     * {@code machineId} whose Digest realm is {@code digestRealm}; empty when the user does not
     * exist, is disabled, is not granted that VM, or has no password usable in that realm.
     */
    Optional<String> ha1(String user, String machineId, String digestRealm);

    /** Whether {@code user} holds AMT realm {@code realm} on {@code machineId}. */
    boolean permits(String user, String machineId, int realm);
}
