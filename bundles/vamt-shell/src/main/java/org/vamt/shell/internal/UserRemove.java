package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.accounts.Account;
import org.vamt.accounts.UserAccounts;
import org.vamt.hypervisor.Hypervisor;

@Command(scope = "vamt", name = "user-remove", description = "Removes a WS-Management user: an operator account, "
        + "or with --vm the local account a console added on that VM")
@Service
public class UserRemove extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Argument(index = 0, name = "name", description = "User name", required = true)
    @Completion(UserCompleter.class)
    String name;

    @Reference
    Hypervisor hypervisor;

    @Option(name = "-m", aliases = "--vm", description = "Remove the local account of this VM (name or UUID) instead")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        if (vm == null) {
            accounts.remove(name);
            System.out.println("Removed user " + name);
            return null;
        }
        String uuid = Vms.find(hypervisor, vm).uuid();
        Account local = accounts.accounts().stream()
                .filter(a -> a.isLocal() && a.vm().equalsIgnoreCase(uuid) && a.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("VM " + vm + " has no local user " + name));
        accounts.removeLocal(local.vm(), local.handle());
        System.out.println("Removed user " + name + " of VM " + vm);
        return null;
    }
}
