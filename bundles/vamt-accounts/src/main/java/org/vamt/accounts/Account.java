package org.vamt.accounts;

import java.util.Set;

/**
 * A WS-Management user as vAMT keeps it.
 *
 * @param name             the Digest user name
 * @param handle           a stable number, what AMT_AuthorizationService calls the ACL entry handle
 * @param realms           the AMT realms granted ({@link org.vamt.security.AmtRealm}); the admin holds all
 * @param machines         UUIDs of the VMs the user may reach, or {@link #ALL_MACHINES}
 * @param enabled          a disabled user cannot log in
 * @param accessPermission AMT's AccessPermission: 0 local only, 1 network only, 2 both
 * @param passwordKnown    false when only realm-specific Digest hashes are stored (a user a console
 *                         added through AMT_AuthorizationService), which limits the user to those realms
 */
public record Account(String name, int handle, Set<Integer> realms, Set<String> machines, boolean enabled,
                      int accessPermission, boolean passwordKnown) {
    /** The grant that covers every VM, present and future. */
    public static final String ALL_MACHINES = "*";

    public Account {
        realms = Set.copyOf(realms);
        machines = Set.copyOf(machines);
    }

    public boolean isAdmin() {
        return UserAccounts.ADMIN.equals(name);
    }

    public boolean mayReach(String machineId) {
        return machines.contains(ALL_MACHINES) || machines.contains(machineId);
    }
}
