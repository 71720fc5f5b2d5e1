package org.vamt.accounts;

import java.util.Set;

/**
 * A WS-Management user as vAMT keeps it. There are two kinds:
 * <ul>
 * <li><b>operator accounts</b> ({@link #vm()} null): the admin and the users made with the shell's
 *     {@code vamt:user-*} commands; one name space for the whole installation; they may reach several
 *     VMs or all of them and are changed only from the shell.</li>
 * <li><b>VM-local accounts</b> ({@link #vm()} = the VM's UUID): users a console added through that
 *     VM's {@code AMT_AuthorizationService}, as an ACL entry of one AMT device; they log in on that VM
 *     only, their names are unique on that VM only, and only that VM's ACL changes them.</li>
 * </ul>
 *
 * @param name             the Digest user name
 * @param handle           a stable number, what AMT_AuthorizationService calls the ACL entry handle
 * @param realms           the AMT realms granted ({@link org.vamt.security.AmtRealm}); the admin holds all
 * @param machines         UUIDs of the VMs the user may reach, or {@link #ALL_MACHINES}; a VM-local
 *                         account reaches its own VM only
 * @param enabled          a disabled user cannot log in
 * @param accessPermission AMT's AccessPermission: 0 local only, 1 network only, 2 both
 * @param passwordKnown    false when only realm-specific Digest hashes are stored (a user a console
 *                         added through AMT_AuthorizationService), which limits the user to those realms
 * @param vm               the UUID of the VM whose ACL owns this account, or null for an operator account
 */
public record Account(String name, int handle, Set<Integer> realms, Set<String> machines, boolean enabled,
                      int accessPermission, boolean passwordKnown, String vm) {
    /** The grant that covers every VM, present and future. */
    public static final String ALL_MACHINES = "*";

    public Account {
        realms = Set.copyOf(realms);
        machines = vm == null ? Set.copyOf(machines) : Set.of(vm);
    }

    /** An operator account (made with the shell). */
    public Account(String name, int handle, Set<Integer> realms, Set<String> machines, boolean enabled,
                   int accessPermission, boolean passwordKnown) {
        this(name, handle, realms, machines, enabled, accessPermission, passwordKnown, null);
    }

    public boolean isAdmin() {
        return vm == null && UserAccounts.ADMIN.equals(name);
    }

    /** Whether this is an ACL entry of one VM (added through that VM's AMT_AuthorizationService). */
    public boolean isLocal() {
        return vm != null;
    }

    /** Whether this account belongs to {@code machineId}'s ACL alone. */
    public boolean isLocalTo(String machineId) {
        return vm != null && vm.equals(machineId);
    }

    public boolean mayReach(String machineId) {
        return machines.contains(ALL_MACHINES) || machines.contains(machineId);
    }
}
