package org.vamt.security;

/** The one realm decision: does this user hold this AMT realm on this VM. */
@FunctionalInterface
public interface RealmCheck {

    /** Whether {@code user} holds AMT realm {@code realm} ({@link AmtRealm}) on {@code machineId}. */
    boolean permits(String user, String machineId, int realm);
}
