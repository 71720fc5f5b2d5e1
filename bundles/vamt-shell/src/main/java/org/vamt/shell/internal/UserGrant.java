package org.vamt.shell.internal;

import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.accounts.Account;
import org.vamt.accounts.UserAccounts;
import org.vamt.hypervisor.Hypervisor;

@Command(scope = "vamt", name = "user-grant", description = "Grants a user a VM (or withdraws it with --revoke), or sets its realms")
@Service
public class UserGrant extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Reference
    Hypervisor hypervisor;

    @Argument(index = 0, name = "name", description = "User name", required = true)
    @Completion(UserCompleter.class)
    String name;

    @Argument(index = 1, name = "vm", description = "VM name or UUID, or '*' for every VM")
    @Completion(VmCompleter.class)
    String vm;

    @Option(name = "--revoke", description = "Withdraw the VM instead of granting it")
    boolean revoke;

    @Option(name = "-r", aliases = "--realm", description = "Replace the user's realms (name or number; repeatable)",
            multiValued = true)
    List<String> realms;

    @Override
    protected Object run() throws Exception {
        if (vm == null && realms == null) {
            throw new IllegalArgumentException("give a VM to grant, or --realm to set realms");
        }
        if (vm != null) {
            String id = Account.ALL_MACHINES.equals(vm) ? vm : Vms.find(hypervisor, vm).uuid();
            if (revoke) {
                accounts.revoke(name, id);
                System.out.println(name + " may no longer reach " + vm);
            } else {
                accounts.grant(name, id);
                System.out.println(name + " may now reach " + vm);
            }
        }
        if (realms != null) {
            accounts.setRealms(name, Realms.parse(realms));
            System.out.println(name + " now holds [" + Realms.format(accounts.account(name).orElseThrow().realms())
                    + "]");
        }
        return null;
    }
}
