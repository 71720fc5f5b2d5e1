package org.vamt.accounts.internal;

import org.vamt.security.files.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.vamt.accounts.Account;
import org.vamt.accounts.AccountException;
import org.vamt.accounts.AccountException.Reason;
import org.vamt.security.AmtRealm;
import org.vamt.security.seal.Sealer;
import org.vamt.security.digest.DigestMath;
import org.vamt.accounts.UserAccounts;

/**
 * The users file. Digest needs MD5(user:realm:password) for each VM's realm, including realms of
 * VMs defined later, so passwords are kept sealed ({@link Sealer}, AES-256-GCM) rather than hashed; the key
 * lives in its own file readable only by its owner. Users a console adds through
 * AMT_AuthorizationService arrive as a realm-specific hash only, which is stored as is.
 *
 * <p>Every change is written (atomically, mode 600) before the method returns, so nothing an
 * operator or a console configured is lost by a crash.
 */
public final class UserStore implements UserAccounts {
    /** AMT's limit on ACL entries besides the admin. */
    static final int MAX_USERS = 32;

    /** One user as stored: the password (decrypted, in memory only) and/or per-realm hashes. */
    private record Entry(Account account, char[] password, Map<String, String> digests) {
    }

    private final Path usersFile;
    private final Sealer sealer;
    private volatile Map<String, Entry> entries = Map.of();
    private final Map<String, String> ha1Cache = new ConcurrentHashMap<>();

    private UserStore(Path usersFile, Sealer sealer) {
        this.usersFile = usersFile;
        this.sealer = sealer;
    }

    /**
     * Opens the users in {@code usersFile} (key in {@code <usersFile minus extension>.key}),
     * creating the admin on first start with {@code initialPassword} or, when that is null or
     * empty, a generated password passed to {@code announceGenerated}.
     */
    public static UserStore open(Path usersFile, String initialPassword, Consumer<String> announceGenerated)
            throws IOException, GeneralSecurityException {
        UserStore store = new UserStore(usersFile, Sealer.open(keyFileFor(usersFile)));
        Properties stored = new Properties();
        if (Files.exists(usersFile)) {
            try (InputStream in = Files.newInputStream(usersFile)) {
                stored.load(in);
            }
        }
        store.entries = store.parse(stored);
        if (!store.entries.containsKey(ADMIN)) {
            boolean generated = initialPassword == null || initialPassword.isEmpty();
            String password = generated ? generatePassword() : initialPassword;
            Map<String, Entry> next = new HashMap<>(store.entries);
            next.put(ADMIN, new Entry(new Account(ADMIN, 1, AmtRealm.all(), Set.of(Account.ALL_MACHINES), true, 2,
                    true), password.toCharArray(), Map.of()));
            try {
                store.commit(next);
            } catch (AccountException e) {
                throw new IOException(e.getMessage(), e);
            }
            if (generated) {
                announceGenerated.accept(password);
            }
        }
        return store;
    }

    static Path keyFileFor(Path usersFile) {
        String name = usersFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return usersFile.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".key");
    }

    // ---------------------------------------------------------------- queries

    @Override
    public Optional<String> ha1(String user, String machineId, String digestRealm) {
        Entry e = entries.get(user);
        if (e == null || !e.account().enabled() || !e.account().mayReach(machineId)
                || e.account().accessPermission() == 0) {
            return Optional.empty();
        }
        String digest = e.digests().get(digestRealm);
        if (digest != null) {
            return Optional.of(digest);
        }
        if (e.password() == null) {
            return Optional.empty();
        }
        return Optional.of(ha1Cache.computeIfAbsent(user + '\0' + digestRealm,
                k -> DigestMath.ha1(user, digestRealm, new String(e.password()))));
    }

    @Override
    public boolean permits(String user, String machineId, int realm) {
        Entry e = entries.get(user);
        return e != null && e.account().enabled() && e.account().mayReach(machineId)
                && (e.account().isAdmin() || e.account().realms().contains(realm));
    }

    @Override
    public List<Account> accounts() {
        return entries.values().stream().map(Entry::account).sorted(Comparator.comparingInt(Account::handle))
                .toList();
    }

    @Override
    public Optional<Account> account(String name) {
        return Optional.ofNullable(entries.get(name)).map(Entry::account);
    }

    @Override
    public Optional<Account> byHandle(int handle) {
        return entries.values().stream().map(Entry::account).filter(a -> a.handle() == handle).findFirst();
    }

    // ---------------------------------------------------------------- changes

    @Override
    public synchronized Account add(String name, char[] password, Set<Integer> realms, Set<String> machines)
            throws AccountException {
        checkNewName(name);
        checkPassword(password);
        checkRealms(realms);
        Account a = new Account(name, nextHandle(), realms, machines, true, 2, true);
        Map<String, Entry> next = new HashMap<>(entries);
        next.put(name, new Entry(a, password.clone(), Map.of()));
        commit(next);
        return a;
    }

    @Override
    public synchronized Account addWithDigest(String name, String machineId, String digestRealm, String ha1,
                                              Set<Integer> realms, int accessPermission) throws AccountException {
        checkNewName(name);
        checkDigest(ha1);
        checkRealms(realms);
        checkAccess(accessPermission);
        Account a = new Account(name, nextHandle(), realms, Set.of(machineId), true, accessPermission, false);
        Map<String, Entry> next = new HashMap<>(entries);
        next.put(name, new Entry(a, null, Map.of(digestRealm, ha1.toLowerCase(Locale.ROOT))));
        commit(next);
        return a;
    }

    @Override
    public synchronized void setPassword(String name, char[] password) throws AccountException {
        Entry e = require(name);
        checkPassword(password);
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), a.realms(), a.machines(), a.enabled(),
                a.accessPermission(), true), password.clone(), Map.of()));
    }

    @Override
    public synchronized void setDigest(String name, String digestRealm, String ha1) throws AccountException {
        Entry e = require(name);
        checkDigest(ha1);
        Map<String, String> digests = new HashMap<>(e.digests());
        digests.put(digestRealm, ha1.toLowerCase(Locale.ROOT));
        replace(new Entry(e.account(), e.password(), digests));
    }

    @Override
    public synchronized void setRealms(String name, Set<Integer> realms) throws AccountException {
        Entry e = requireNotAdmin(name, "the admin holds every realm");
        checkRealms(realms);
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), realms, a.machines(), a.enabled(), a.accessPermission(),
                a.passwordKnown()), e.password(), e.digests()));
    }

    @Override
    public synchronized void grant(String name, String machineIdOrAll) throws AccountException {
        Entry e = requireNotAdmin(name, "the admin reaches every VM");
        Set<String> machines = new TreeSet<>(e.account().machines());
        machines.add(machineIdOrAll);
        replaceMachines(e, machines);
    }

    @Override
    public synchronized void revoke(String name, String machineIdOrAll) throws AccountException {
        Entry e = requireNotAdmin(name, "the admin reaches every VM");
        Set<String> machines = new TreeSet<>(e.account().machines());
        if (!machines.remove(machineIdOrAll)) {
            throw new AccountException(Reason.NOT_FOUND, name + " has no grant for " + machineIdOrAll);
        }
        replaceMachines(e, machines);
    }

    private void replaceMachines(Entry e, Set<String> machines) throws AccountException {
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), a.realms(), machines, a.enabled(), a.accessPermission(),
                a.passwordKnown()), e.password(), e.digests()));
    }

    @Override
    public synchronized void setEnabled(String name, boolean enabled) throws AccountException {
        Entry e = requireNotAdmin(name, "the admin cannot be disabled");
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), a.realms(), a.machines(), enabled, a.accessPermission(),
                a.passwordKnown()), e.password(), e.digests()));
    }

    @Override
    public synchronized void setAccessPermission(String name, int accessPermission) throws AccountException {
        Entry e = requireNotAdmin(name, "the admin's access cannot change");
        checkAccess(accessPermission);
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), a.realms(), a.machines(), a.enabled(), accessPermission,
                a.passwordKnown()), e.password(), e.digests()));
    }

    @Override
    public synchronized void remove(String name) throws AccountException {
        requireNotAdmin(name, "the admin cannot be removed");
        Map<String, Entry> next = new HashMap<>(entries);
        next.remove(name);
        commit(next);
    }

    private Entry require(String name) throws AccountException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new AccountException(Reason.NOT_FOUND, "no user " + name);
        }
        return e;
    }

    private Entry requireNotAdmin(String name, String why) throws AccountException {
        Entry e = require(name);
        if (e.account().isAdmin()) {
            throw new AccountException(Reason.NOT_PERMITTED, why);
        }
        return e;
    }

    private void replace(Entry e) throws AccountException {
        Map<String, Entry> next = new HashMap<>(entries);
        next.put(e.account().name(), e);
        commit(next);
    }

    private int nextHandle() throws AccountException {
        if (entries.size() > MAX_USERS) {
            throw new AccountException(Reason.LIMIT_REACHED, "at most " + MAX_USERS + " users besides the admin");
        }
        return entries.values().stream().mapToInt(x -> x.account().handle()).max().orElse(1) + 1;
    }

    // ---------------------------------------------------------------- validation

    /** AMT user names: 1-32 printable characters; none of the characters Digest or our file format reserve. */
    static void checkName(String name) throws AccountException {
        if (name == null || name.isEmpty() || name.length() > 32
                || !name.chars().allMatch(c -> c > 32 && c < 127 && ":/\",\\=#!".indexOf(c) < 0)) {
            throw new AccountException(Reason.INVALID_NAME, "a user name is 1-32 printable ASCII characters "
                    + "without spaces or any of : / \" , \\ = # !");
        }
    }

    private void checkNewName(String name) throws AccountException {
        checkName(name);
        if (entries.containsKey(name)) {
            throw new AccountException(Reason.DUPLICATE, "user " + name + " exists");
        }
    }

    /** AMT's strong-password rule: 8-32 characters with upper, lower, digit and a special character. */
    static void checkPassword(char[] password) throws AccountException {
        String p = password == null ? "" : new String(password);
        if (p.length() < 8 || p.length() > 32 || !p.matches(".*[A-Z].*") || !p.matches(".*[a-z].*")
                || !p.matches(".*[0-9].*") || p.chars().allMatch(Character::isLetterOrDigit)
                || p.chars().anyMatch(c -> c == ':' || c == '"' || c == ',' || c < 32)) {
            throw new AccountException(Reason.INVALID_PASSWORD, "a password is 8-32 characters with an upper-case "
                    + "letter, a lower-case letter, a digit and a special character (not : \" or ,)");
        }
    }

    private static void checkDigest(String ha1) throws AccountException {
        if (ha1 == null || !ha1.matches("[0-9a-fA-F]{32}")) {
            throw new AccountException(Reason.INVALID_PASSWORD, "a Digest password is 32 hex digits, MD5(user:realm:password)");
        }
    }

    private static void checkRealms(Set<Integer> realms) throws AccountException {
        for (int r : realms) {
            if (!AmtRealm.isValid(r)) {
                throw new AccountException(Reason.INVALID_REALM, "no AMT realm " + r);
            }
        }
    }

    private static void checkAccess(int access) throws AccountException {
        if (access < 0 || access > 2) {
            throw new AccountException(Reason.NOT_PERMITTED,
                    "AccessPermission is 0 (local), 1 (network) or 2 (both)");
        }
    }

    // ---------------------------------------------------------------- persistence

    private Map<String, Entry> parse(Properties p) throws GeneralSecurityException {
        Map<String, Entry> out = new HashMap<>();
        String legacyAdmin = p.getProperty(ADMIN);
        if (legacyAdmin != null && p.getProperty(ADMIN + "/password") == null) {
            // the single-user format of the first releases: "admin=<encrypted password>"
            p.setProperty(ADMIN + "/password", legacyAdmin);
        }
        Set<String> names = new LinkedHashSet<>();
        for (String k : p.stringPropertyNames()) {
            int slash = k.indexOf('/');
            if (slash > 0) {
                names.add(k.substring(0, slash));
            }
        }
        int handle = 2;
        for (String name : names) {
            String pw = p.getProperty(name + "/password");
            Map<String, String> digests = new HashMap<>();
            String prefix = name + "/digest/";
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith(prefix)) {
                    digests.put(k.substring(prefix.length()), p.getProperty(k));
                }
            }
            boolean admin = ADMIN.equals(name);
            Set<Integer> realms = admin ? AmtRealm.all() : parseInts(p.getProperty(name + "/realms", ""));
            Set<String> machines = admin ? Set.of(Account.ALL_MACHINES)
                    : parseList(p.getProperty(name + "/machines", ""));
            int h = admin ? 1 : Integer.parseInt(p.getProperty(name + "/handle", Integer.toString(handle)));
            handle = Math.max(handle, h) + 1;
            Account a = new Account(name, h, realms, machines,
                    admin || Boolean.parseBoolean(p.getProperty(name + "/enabled", "true")),
                    admin ? 2 : Integer.parseInt(p.getProperty(name + "/access", "2")), pw != null);
            out.put(name, new Entry(a, pw == null ? null : sealer.unseal(pw).toCharArray(), Map.copyOf(digests)));
        }
        return Map.copyOf(out);
    }

    private void commit(Map<String, Entry> next) throws AccountException {
        Properties p = new Properties();
        try {
            for (Entry e : next.values()) {
                Account a = e.account();
                String n = a.name();
                if (e.password() != null) {
                    p.setProperty(n + "/password", sealer.seal(new String(e.password())));
                }
                e.digests().forEach((realm, ha1) -> p.setProperty(n + "/digest/" + realm, ha1));
                if (!a.isAdmin()) {
                    p.setProperty(n + "/handle", Integer.toString(a.handle()));
                    p.setProperty(n + "/realms", a.realms().stream().sorted().map(String::valueOf)
                            .collect(Collectors.joining(",")));
                    p.setProperty(n + "/machines", String.join(",", new TreeSet<>(a.machines())));
                    p.setProperty(n + "/enabled", Boolean.toString(a.enabled()));
                    p.setProperty(n + "/access", Integer.toString(a.accessPermission()));
                }
            }
            writePrivate(usersFile, p);
        } catch (IOException | GeneralSecurityException e) {
            throw new AccountException(Reason.STORAGE, "cannot write " + usersFile + ": " + e.getMessage(), e);
        }
        entries = Map.copyOf(next);
        ha1Cache.clear();
    }

    private static Set<Integer> parseInts(String s) {
        Set<Integer> out = new TreeSet<>();
        for (String part : parseList(s)) {
            out.add(Integer.parseInt(part));
        }
        return out;
    }

    private static Set<String> parseList(String s) {
        Set<String> out = new TreeSet<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** 16 characters (MeshCentral's limit) with upper, lower, digit and special, as AMT requires. */
    public static String generatePassword() {
        return UserAccounts.generatePassword();
    }

    private static void writePrivate(Path file, Properties p) throws IOException {
        DurableFiles.replace(file, out -> p.store(out,
                "vAMT WS-Management users (passwords AES-GCM encrypted; edit with the vamt:user-* commands)"));
    }
}
