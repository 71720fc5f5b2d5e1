package org.vamt.accounts;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The users of vAMT's WS-Management endpoints. The admin ({@value #ADMIN}) holds every realm on
 * every VM and cannot be removed; other users hold chosen realms on chosen VMs. Changes are
 * persisted before a method returns.
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

    List<Account> accounts();

    Optional<Account> account(String name);

    Optional<Account> byHandle(int handle);

    /** Adds a user with a password (usable in every Digest realm). */
    Account add(String name, char[] password, Set<Integer> realms, Set<String> machines) throws AccountException;

    /**
     * Adds a user known only by its Digest hash for one VM's realm, as AMT_AuthorizationService
     * receives it (DigestPassword = hex MD5(user:realm:password)); the user is granted that VM only.
     */
    Account addWithDigest(String name, String machineId, String digestRealm, String ha1, Set<Integer> realms,
                          int accessPermission) throws AccountException;

    void setPassword(String name, char[] password) throws AccountException;

    /** Replaces the user's Digest hash for one realm (AMT_AuthorizationService updates). */
    void setDigest(String name, String digestRealm, String ha1) throws AccountException;

    void setRealms(String name, Set<Integer> realms) throws AccountException;

    void grant(String name, String machineIdOrAll) throws AccountException;

    void revoke(String name, String machineIdOrAll) throws AccountException;

    void setEnabled(String name, boolean enabled) throws AccountException;

    void setAccessPermission(String name, int accessPermission) throws AccountException;

    void remove(String name) throws AccountException;
}
