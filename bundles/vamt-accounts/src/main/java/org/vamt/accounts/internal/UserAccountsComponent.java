package org.vamt.accounts.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.accounts.Account;
import org.vamt.accounts.AccountException;
import org.vamt.accounts.UserAccounts;

/** The users service of a vAMT installation, kept in {@code etc/vamt-users.properties}. */
@Component(service = {UserAccounts.class, org.vamt.security.UserDirectory.class}, configurationPid = UserAccountsComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = UserAccountsComponent.Config.class)
public class UserAccountsComponent implements UserAccounts {
    static final String PID = "org.vamt.accounts";
    private static final Logger LOG = LoggerFactory.getLogger(UserAccountsComponent.class);

    @ObjectClassDefinition(name = "vAMT users", description = "WS-Management users, realms and per-VM grants")
    public @interface Config {
        @AttributeDefinition(description = "Users file (passwords encrypted, key in the .key file beside it); "
                + "empty = ${karaf.etc}/vamt-users.properties")
        String usersFile() default "";
    }

    private final UserStore store;

    @Activate
    public UserAccountsComponent(Config config) throws IOException, GeneralSecurityException {
        Path file = config.usersFile().isBlank()
                ? Paths.get(System.getProperty("karaf.etc", "etc")).resolve("vamt-users.properties")
                : Paths.get(config.usersFile());
        store = UserStore.open(file, System.getenv("VAMT_ADMIN_PASSWORD"), UserAccountsComponent::announce);
    }

    /** Printed once, on the console only: a generated password must never reach a log file. */
    private static void announce(String password) {
        System.out.println("vAMT: generated the WS-Management password for user 'admin': " + password);
        System.out.println("vAMT: it is shown only this once; change it with 'vamt:user-passwd admin' or set "
                + "VAMT_ADMIN_PASSWORD before the first start.");
        LOG.warn("Generated a password for user 'admin' and printed it on the console (not logged)");
    }

    @Override
    public Optional<String> ha1(String user, String machineId, String digestRealm) {
        return store.ha1(user, machineId, digestRealm);
    }

    @Override
    public boolean permits(String user, String machineId, int realm) {
        return store.permits(user, machineId, realm);
    }

    @Override
    public List<Account> accounts() {
        return store.accounts();
    }

    @Override
    public Optional<Account> account(String name) {
        return store.account(name);
    }

    @Override
    public Optional<Account> resolve(String machineId, String name) {
        return store.resolve(machineId, name);
    }

    @Override
    public List<Account> entries(String machineId) {
        return store.entries(machineId);
    }

    @Override
    public Optional<Account> byHandle(int handle) {
        return store.byHandle(handle);
    }

    @Override
    public Account add(String name, char[] password, Set<Integer> realms, Set<String> machines)
            throws AccountException {
        Account a = store.add(name, password, realms, machines);
        LOG.info("User {} added (realms {}, VMs {})", name, realms, machines);
        return a;
    }

    @Override
    public Account addWithDigest(String name, String machineId, String digestRealm, String ha1, Set<Integer> realms,
                                 int accessPermission) throws AccountException {
        Account a = store.addWithDigest(name, machineId, digestRealm, ha1, realms, accessPermission);
        LOG.info("User {} added as a local account of VM {} (realms {})", name, machineId, realms);
        return a;
    }

    @Override
    public void updateLocal(String machineId, int handle, String newName, Set<Integer> realms,
                            Integer accessPermission, String digestRealm, String ha1) throws AccountException {
        store.updateLocal(machineId, handle, newName, realms, accessPermission, digestRealm, ha1);
        LOG.info("Local user {} of VM {} changed (realms {}{}{})", handle, machineId, realms,
                newName == null ? "" : ", renamed", ha1 == null ? "" : ", new password");
    }

    @Override
    public void setLocalEnabled(String machineId, int handle, boolean enabled) throws AccountException {
        store.setLocalEnabled(machineId, handle, enabled);
        LOG.info("Local user {} of VM {} {}", handle, machineId, enabled ? "enabled" : "disabled");
    }

    @Override
    public void removeLocal(String machineId, int handle) throws AccountException {
        store.removeLocal(machineId, handle);
        LOG.info("Local user {} of VM {} removed", handle, machineId);
    }

    @Override
    public void setPassword(String name, char[] password) throws AccountException {
        store.setPassword(name, password);
        LOG.info("Password of user {} changed", name);
    }

    @Override
    public void setDigest(String name, String digestRealm, String ha1) throws AccountException {
        store.setDigest(name, digestRealm, ha1);
        LOG.info("Digest password of user {} changed for realm {}", name, digestRealm);
    }

    @Override
    public void setRealms(String name, Set<Integer> realms) throws AccountException {
        store.setRealms(name, realms);
        LOG.info("Realms of user {} set to {}", name, realms);
    }

    @Override
    public void grant(String name, String machineIdOrAll) throws AccountException {
        store.grant(name, machineIdOrAll);
        LOG.info("User {} granted VM {}", name, machineIdOrAll);
    }

    @Override
    public void revoke(String name, String machineIdOrAll) throws AccountException {
        store.revoke(name, machineIdOrAll);
        LOG.info("User {} no longer granted VM {}", name, machineIdOrAll);
    }

    @Override
    public void setEnabled(String name, boolean enabled) throws AccountException {
        store.setEnabled(name, enabled);
        LOG.info("User {} {}", name, enabled ? "enabled" : "disabled");
    }

    @Override
    public void setAccessPermission(String name, int accessPermission) throws AccountException {
        store.setAccessPermission(name, accessPermission);
    }

    @Override
    public void remove(String name) throws AccountException {
        store.remove(name);
        LOG.info("User {} removed", name);
    }
}
