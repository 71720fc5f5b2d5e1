package org.vamt.shell.internal;

import java.util.Map;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.accounts.Account;
import org.vamt.accounts.UserAccounts;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;

@Command(scope = "vamt", name = "user-list", description = "Lists the WS-Management users, their realms and VMs: "
        + "operator accounts (made here) and each VM's local accounts (added by consoles through that VM)")
@Service
public class UserList extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Reference
    Hypervisor hypervisor;

    @Override
    protected Object run() throws Exception {
        Map<String, String> names = hypervisor.listMachines().stream()
                .collect(Collectors.toMap(m -> Vms.lower(m.uuid()), MachineInfo::name, (a, b) -> a));
        ShellTable table = new ShellTable();
        table.column("Handle").alignRight();
        table.column("User");
        table.column("Kind");
        table.column("Enabled");
        table.column("Realms");
        table.column("VMs");
        for (Account a : accounts.accounts()) {
            String vms = a.machines().stream().map(m -> Account.ALL_MACHINES.equals(m) ? "*"
                    : names.getOrDefault(Vms.lower(m), m)).sorted().collect(Collectors.joining(","));
            table.addRow().addContent(a.handle(), a.name(), a.isLocal() ? "local" : "operator", a.enabled() ? "yes" : "no",
                    a.isAdmin() ? "all" : Realms.format(a.realms()), vms);
        }
        table.print(System.out);
        return null;
    }
}
