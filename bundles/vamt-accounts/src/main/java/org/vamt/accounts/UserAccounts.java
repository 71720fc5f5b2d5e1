package org.vamt.accounts;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The users of vAMT's WS-Management endpoints. The admin ({@value #ADMIN}) holds every realm on
 * every VM and cannot be removed; other users hold chosen realms on chosen VMs. Changes are
 * persisted before a method returns.
 *
 * <p>Two kinds of account ({@link Account}): <em>operator accounts</em> (the admin and the shell's
 * users, one installation-wide name space, changed by the name-based methods below) and
 * <em>VM-local accounts</em> (a VM's own ACL entries, added through that VM's
 * AMT_AuthorizationService, one name space per VM, changed only by the methods that take that VM's
 * id). On a VM a name denotes at most one account: a local account of that VM, or an operator
 * account that reaches it.
 */
public interface UserAccounts extends org.vamt.security.UserDirectory {
    String ADMIN = "admin";

    /**
     * A new random password as AMT and MeshCentral accept it: 16 characters (MeshCentral's limit)
     * with upper case, lower case, a digit and a special character.
     */
    static String generatePassword() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        String upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        String lower = "abcdefghijkmnopqrstuvwxyz";
        String digits = "23456789";
        String specials = "#%*-_+.";
        String all = upper + lower + digits + specials;
        List<Character> pw = new java.util.ArrayList<>();
        pw.add(upper.charAt(random.nextInt(upper.length())));
        pw.add(lower.charAt(random.nextInt(lower.length())));
        pw.add(digits.charAt(random.nextInt(digits.length())));
        pw.add(specials.charAt(random.nextInt(specials.length())));
        while (pw.size() < 16) {
            pw.add(all.charAt(random.nextInt(all.length())));
        }
        java.util.Collections.shuffle(pw, random);
        StringBuilder sb = new StringBuilder();
        pw.forEach(sb::append);
        return sb.toString();
    }

    /**
     * What AMT's strong-password rule finds wrong with {@code password} (8-32 characters with an
     * upper-case letter, a lower-case letter, a digit and a special character, none of : " , or a
     * control character), or empty when it is acceptable.
     */
    static Optional<String> passwordProblem(char[] password) {
        String p = password == null ? "" : new String(password);
        if (p.length() < 8 || p.length() > 32 || !p.matches(".*[A-Z].*") || !p.matches(".*[a-z].*")
                || !p.matches(".*[0-9].*") || p.chars().allMatch(Character::isLetterOrDigit)
                || p.chars().anyMatch(c -> c == ':' || c == '"' || c == ',' || c < 32)) {
            return Optional.of("a password is 8-32 characters with an upper-case letter, a lower-case letter, "
                    + "a digit and a special character (not : \" or ,)");
        }
        return Optional.empty();
    }

    /** Every account, operator and VM-local, in handle order. */
    List<Account> accounts();

    /** The operator account (or the admin) of that name. */
    Optional<Account> account(String name);

    /** The account {@code name} logs in as on {@code machineId}: that VM's local account, or an operator account reaching it. */
    Optional<Account> resolve(String machineId, String name);

    /** The ACL entries of a VM: its local accounts and the operator accounts reaching it, without the admin, in handle order. */
    List<Account> entries(String machineId);

    Optional<Account> byHandle(int handle);

    /** Adds an operator account with a password (usable in every Digest realm). */
    Account add(String name, char[] password, Set<Integer> realms, Set<String> machines) throws AccountException;

    /**
     * Adds a VM-local account of {@code machineId}, known only by its Digest hash for that VM's realm, as
     * AMT_AuthorizationService receives it (DigestPassword = hex MD5(user:realm:password)). Refused with
     * {@link AccountException.Reason#DUPLICATE} when the name is taken on that VM, and with
     * {@link AccountException.Reason#LIMIT_REACHED} beyond the per-VM or the installation-wide bound.
     */
    Account addWithDigest(String name, String machineId, String digestRealm, String ha1, Set<Integer> realms,
                          int accessPermission) throws AccountException;

    /**
     * Changes a local account of {@code machineId} (an UpdateUserAclEntryEx); nulls keep the value.
     * A new name needs a new hash (the hash covers the name). {@link AccountException.Reason#NOT_FOUND}
     * when {@code handle} is no local account of that VM: operator accounts are out of reach here.
     */
    void updateLocal(String machineId, int handle, String newName, Set<Integer> realms, Integer accessPermission,
                     String digestRealm, String ha1) throws AccountException;

    /** Enables or disables a local account of {@code machineId}. */
    void setLocalEnabled(String machineId, int handle, boolean enabled) throws AccountException;

    /** Removes a local account of {@code machineId}. */
    void removeLocal(String machineId, int handle) throws AccountException;

    // ---- operator accounts (the shell), by name

    void setPassword(String name, char[] password) throws AccountException;

    /** Replaces the operator account's Digest hash for one realm (the admin's password on one VM). */
    void setDigest(String name, String digestRealm, String ha1) throws AccountException;

    void setRealms(String name, Set<Integer> realms) throws AccountException;

    void grant(String name, String machineIdOrAll) throws AccountException;

    void revoke(String name, String machineIdOrAll) throws AccountException;

    void setEnabled(String name, boolean enabled) throws AccountException;

    void setAccessPermission(String name, int accessPermission) throws AccountException;

    void remove(String name) throws AccountException;
}
