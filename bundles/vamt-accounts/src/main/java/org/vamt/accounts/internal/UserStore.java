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
 * <p>Operator accounts (admin, shell users) share one name space; each VM's local accounts (its ACL
 * entries, added through its AMT_AuthorizationService) have a name space of their own, so what a
 * console adds on one VM never takes a name, a slot or a setting from another VM. On one VM a name
 * denotes at most one account: adding or granting a name that a VM already uses is refused.
 *
 * <p>Every change is written (atomically, mode 600) before the method returns, so nothing an
 * operator or a console configured is lost by a crash.
 */
public final class UserStore implements UserAccounts {
    /** Local accounts (ACL entries besides the admin) per VM, as an AMT device's ACL is bounded. */
    static final int MAX_LOCAL_PER_VM = 32;
    /** Accounts in all, operator and local: bounds the file, the heap and each rewrite (about 2 MB). */
    static final int MAX_ACCOUNTS = 4096;
    private static final String OPERATOR = "";

    /** Where an account lives: {@link #OPERATOR} or a VM's UUID, and its name there. */
    private record Key(String scope, String name) {
        static Key of(Account a) {
            return new Key(a.vm() == null ? OPERATOR : a.vm(), a.name());
        }
    }

    /** One user as stored: the password (decrypted, in memory only) and/or per-realm hashes. */
    private record Entry(Account account, char[] password, Map<String, String> digests) {
    }

    private final Path usersFile;
    private final Sealer sealer;
    private final int maxAccounts;
    private volatile Map<Key, Entry> entries = Map.of();
    private final Map<String, String> ha1Cache = new ConcurrentHashMap<>();

    private UserStore(Path usersFile, Sealer sealer, int maxAccounts) {
        this.usersFile = usersFile;
        this.sealer = sealer;
        this.maxAccounts = maxAccounts;
    }

    /**
     * Opens the users in {@code usersFile} (key in {@code <usersFile minus extension>.key}),
     * creating the admin on first start with {@code initialPassword} or, when that is null or
     * empty, a generated password passed to {@code announceGenerated}.
     */
    public static UserStore open(Path usersFile, String initialPassword, Consumer<String> announceGenerated)
            throws IOException, GeneralSecurityException {
        return open(usersFile, initialPassword, announceGenerated, MAX_ACCOUNTS);
    }

    /** As above with another bound on the accounts in all (tests). */
    static UserStore open(Path usersFile, String initialPassword, Consumer<String> announceGenerated, int maxAccounts)
            throws IOException, GeneralSecurityException {
        UserStore store = new UserStore(usersFile, Sealer.open(keyFileFor(usersFile)), maxAccounts);
        Properties stored = new Properties();
        if (Files.exists(usersFile)) {
            try (InputStream in = Files.newInputStream(usersFile)) {
                stored.load(in);
            }
        }
        store.entries = store.parse(stored);
        if (!store.entries.containsKey(new Key(OPERATOR, ADMIN))) {
            boolean generated = initialPassword == null || initialPassword.isEmpty();
            String password = generated ? generatePassword() : initialPassword;
            Map<Key, Entry> next = new HashMap<>(store.entries);
            next.put(new Key(OPERATOR, ADMIN), new Entry(new Account(ADMIN, 1, AmtRealm.all(),
                    Set.of(Account.ALL_MACHINES), true, 2, true), password.toCharArray(), Map.of()));
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

    /** The entry {@code user} logs in as on {@code machineId}: the VM's own account first, then an operator account reaching it. */
    private Entry resolveEntry(String machineId, String user) {
        if (user == null || machineId == null) {
            return null;
        }
        Map<Key, Entry> all = entries;
        Entry local = all.get(new Key(machineId, user));
        if (local != null) {
            return local;
        }
        Entry op = all.get(new Key(OPERATOR, user));
        return op != null && op.account().mayReach(machineId) ? op : null;
    }

    @Override
    public Optional<String> ha1(String user, String machineId, String digestRealm) {
        Entry e = resolveEntry(machineId, user);
        if (e == null || !e.account().enabled() || e.account().accessPermission() == 0) {
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
        Entry e = resolveEntry(machineId, user);
        return e != null && e.account().enabled()
                && (e.account().isAdmin() || e.account().realms().contains(realm));
    }

    @Override
    public List<Account> accounts() {
        return entries.values().stream().map(Entry::account).sorted(Comparator.comparingInt(Account::handle))
                .toList();
    }

    @Override
    public Optional<Account> account(String name) {
        return Optional.ofNullable(entries.get(new Key(OPERATOR, name))).map(Entry::account);
    }

    @Override
    public Optional<Account> resolve(String machineId, String name) {
        return Optional.ofNullable(resolveEntry(machineId, name)).map(Entry::account);
    }

    @Override
    public List<Account> entries(String machineId) {
        return entries.values().stream().map(Entry::account)
                .filter(a -> !a.isAdmin() && (a.isLocalTo(machineId) || (!a.isLocal() && a.mayReach(machineId))))
                .sorted(Comparator.comparingInt(Account::handle)).toList();
    }

    @Override
    public Optional<Account> byHandle(int handle) {
        return entries.values().stream().map(Entry::account).filter(a -> a.handle() == handle).findFirst();
    }

    // ---------------------------------------------------------------- changes: VM-local accounts

    @Override
    public synchronized Account addWithDigest(String name, String machineId, String digestRealm, String ha1,
                                              Set<Integer> realms, int accessPermission) throws AccountException {
        checkName(name);
        checkFreeOn(machineId, name, null);
        checkDigest(ha1);
        checkRealms(realms);
        checkAccess(accessPermission);
        long local = entries.keySet().stream().filter(k -> k.scope().equals(machineId)).count();
        if (local >= MAX_LOCAL_PER_VM) {
            throw new AccountException(Reason.LIMIT_REACHED, "at most " + MAX_LOCAL_PER_VM
                    + " ACL entries on one VM");
        }
        Account a = new Account(name, nextHandle(), realms, Set.of(), true, accessPermission, false, machineId);
        Map<Key, Entry> next = new HashMap<>(entries);
        next.put(Key.of(a), new Entry(a, null, Map.of(digestRealm, ha1.toLowerCase(Locale.ROOT))));
        commit(next);
        return a;
    }

    @Override
    public synchronized void updateLocal(String machineId, int handle, String newName, Set<Integer> realms,
                                         Integer accessPermission, String digestRealm, String ha1)
            throws AccountException {
        Entry e = requireLocal(machineId, handle);
        Account a = e.account();
        String name = newName == null ? a.name() : newName;
        if (!name.equals(a.name())) {
            checkName(name);
            checkFreeOn(machineId, name, a);
            if (ha1 == null) {
                throw new AccountException(Reason.NOT_PERMITTED, "a new name needs a new DigestPassword");
            }
        }
        if (ha1 != null) {
            checkDigest(ha1);
        }
        if (realms != null) {
            checkRealms(realms);
        }
        if (accessPermission != null) {
            checkAccess(accessPermission);
        }
        Map<String, String> digests = ha1 == null ? e.digests() : Map.of(digestRealm, ha1.toLowerCase(Locale.ROOT));
        Account changed = new Account(name, a.handle(), realms == null ? a.realms() : realms, a.machines(),
                a.enabled(), accessPermission == null ? a.accessPermission() : accessPermission, false, a.vm());
        Map<Key, Entry> next = new HashMap<>(entries);
        next.remove(Key.of(a));
        next.put(Key.of(changed), new Entry(changed, null, digests));
        commit(next);
    }

    @Override
    public synchronized void setLocalEnabled(String machineId, int handle, boolean enabled) throws AccountException {
        Entry e = requireLocal(machineId, handle);
        Account a = e.account();
        replace(new Entry(new Account(a.name(), a.handle(), a.realms(), a.machines(), enabled, a.accessPermission(),
                a.passwordKnown(), a.vm()), e.password(), e.digests()));
    }

    @Override
    public synchronized void removeLocal(String machineId, int handle) throws AccountException {
        Entry e = requireLocal(machineId, handle);
        Map<Key, Entry> next = new HashMap<>(entries);
        next.remove(Key.of(e.account()));
        commit(next);
    }

    private Entry requireLocal(String machineId, int handle) throws AccountException {
        for (Entry e : entries.values()) {
            if (e.account().handle() == handle && e.account().isLocalTo(machineId)) {
                return e;
            }
        }
        throw new AccountException(Reason.NOT_FOUND, "no ACL entry " + handle + " of this VM");
    }

    /** {@code name} is free on {@code machineId}: no local account there and no operator account reaching it ({@code self} aside). */
    private void checkFreeOn(String machineId, String name, Account self) throws AccountException {
        Entry local = entries.get(new Key(machineId, name));
        Entry op = entries.get(new Key(OPERATOR, name));
        if ((local != null && !local.account().equals(self)) || (op != null && op.account().mayReach(machineId))) {
            throw new AccountException(Reason.DUPLICATE, "user " + name + " exists on this VM");
        }
    }

    // ---------------------------------------------------------------- changes: operator accounts

    @Override
    public synchronized Account add(String name, char[] password, Set<Integer> realms, Set<String> machines)
            throws AccountException {
        checkName(name);
        if (entries.containsKey(new Key(OPERATOR, name))) {
            throw new AccountException(Reason.DUPLICATE, "user " + name + " exists");
        }
        for (String m : machines) {
            checkNoLocal(name, m);
        }
        checkPassword(password);
        checkRealms(realms);
        Account a = new Account(name, nextHandle(), realms, machines, true, 2, true);
        Map<Key, Entry> next = new HashMap<>(entries);
        next.put(Key.of(a), new Entry(a, password.clone(), Map.of()));
        commit(next);
        return a;
    }

    /** An operator account may not reach a VM where a local account has its name (the operator removes that first). */
    private void checkNoLocal(String name, String machineIdOrAll) throws AccountException {
        for (Key k : entries.keySet()) {
            if (!k.scope().equals(OPERATOR) && k.name().equals(name)
                    && (Account.ALL_MACHINES.equals(machineIdOrAll) || k.scope().equals(machineIdOrAll))) {
                throw new AccountException(Reason.DUPLICATE, "VM " + k.scope() + " has a local user " + name
                        + " (remove it with vamt:user-remove --vm first)");
            }
        }
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
        checkNoLocal(name, machineIdOrAll);
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
        Map<Key, Entry> next = new HashMap<>(entries);
        next.remove(new Key(OPERATOR, name));
        commit(next);
    }

    private Entry require(String name) throws AccountException {
        Entry e = entries.get(new Key(OPERATOR, name));
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
        Map<Key, Entry> next = new HashMap<>(entries);
        next.put(Key.of(e.account()), e);
        commit(next);
    }

    private int nextHandle() throws AccountException {
        if (entries.size() >= maxAccounts) {
            throw new AccountException(Reason.LIMIT_REACHED, "at most " + maxAccounts + " users in all");
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

    /** AMT's strong-password rule ({@link UserAccounts#passwordProblem}). */
    static void checkPassword(char[] password) throws AccountException {
        Optional<String> problem = UserAccounts.passwordProblem(password);
        if (problem.isPresent()) {
            throw new AccountException(Reason.INVALID_PASSWORD, problem.get());
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

    /**
     * Reads the users file. Operator accounts are {@code <name>/<field>}; local accounts of a VM are
     * {@code <name>/vm/<uuid>/<field>} (a name has no '/'). Files of earlier releases had no local
     * accounts: a console-added user there (hashes only, no password) granted exactly one VM becomes
     * that VM's local account, as it was that VM's ACL entry; anything else stays an operator account.
     */
    private Map<Key, Entry> parse(Properties p) throws GeneralSecurityException {
        String legacyAdmin = p.getProperty(ADMIN);
        if (legacyAdmin != null && p.getProperty(ADMIN + "/password") == null) {
            // the single-user format of the first releases: "admin=<encrypted password>"
            p.setProperty(ADMIN + "/password", legacyAdmin);
        }
        Map<Key, Map<String, String>> fields = new java.util.LinkedHashMap<>();
        for (String k : new TreeSet<>(p.stringPropertyNames())) {
            String[] parts = k.split("/", 4);
            if (parts.length < 2) {
                continue;
            }
            Key key;
            String field;
            if (parts.length == 4 && parts[1].equals("vm")) {
                key = new Key(parts[2], parts[0]);
                field = parts[3];
            } else {
                key = new Key(OPERATOR, parts[0]);
                field = k.substring(parts[0].length() + 1);
            }
            fields.computeIfAbsent(key, x -> new HashMap<>()).put(field, p.getProperty(k));
        }
        Map<Key, Entry> out = new HashMap<>();
        int handle = 2;
        for (Map.Entry<Key, Map<String, String>> kv : fields.entrySet()) {
            String name = kv.getKey().name();
            Map<String, String> f = kv.getValue();
            String pw = f.get("password");
            Map<String, String> digests = new HashMap<>();
            f.forEach((field, value) -> {
                if (field.startsWith("digest/")) {
                    digests.put(field.substring("digest/".length()), value);
                }
            });
            boolean admin = ADMIN.equals(name) && kv.getKey().scope().equals(OPERATOR);
            Set<Integer> realms = admin ? AmtRealm.all() : parseInts(f.getOrDefault("realms", ""));
            Set<String> machines = admin ? Set.of(Account.ALL_MACHINES) : parseList(f.getOrDefault("machines", ""));
            String vm = kv.getKey().scope().equals(OPERATOR) ? null : kv.getKey().scope();
            if (vm == null && !admin && pw == null && machines.size() == 1
                    && !machines.contains(Account.ALL_MACHINES)) {
                vm = machines.iterator().next(); // migration: a console's user of one VM is that VM's entry
            }
            int h = admin ? 1 : Integer.parseInt(f.getOrDefault("handle", Integer.toString(handle)));
            handle = Math.max(handle, h) + 1;
            Account a = new Account(name, h, realms, machines,
                    admin || Boolean.parseBoolean(f.getOrDefault("enabled", "true")),
                    admin ? 2 : Integer.parseInt(f.getOrDefault("access", "2")), pw != null, vm);
            out.put(Key.of(a), new Entry(a, pw == null ? null : sealer.unseal(pw).toCharArray(), Map.copyOf(digests)));
        }
        return Map.copyOf(out);
    }

    private void commit(Map<Key, Entry> next) throws AccountException {
        Properties p = new Properties();
        try {
            for (Entry e : next.values()) {
                Account a = e.account();
                String n = a.isLocal() ? a.name() + "/vm/" + a.vm() : a.name();
                if (e.password() != null) {
                    p.setProperty(n + "/password", sealer.seal(new String(e.password())));
                }
                e.digests().forEach((realm, ha1) -> p.setProperty(n + "/digest/" + realm, ha1));
                if (!a.isAdmin()) {
                    p.setProperty(n + "/handle", Integer.toString(a.handle()));
                    p.setProperty(n + "/realms", a.realms().stream().sorted().map(String::valueOf)
                            .collect(Collectors.joining(",")));
                    if (!a.isLocal()) {
                        p.setProperty(n + "/machines", String.join(",", new TreeSet<>(a.machines())));
                    }
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
