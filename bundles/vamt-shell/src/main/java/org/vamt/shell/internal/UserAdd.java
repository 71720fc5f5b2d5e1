package org.vamt.shell.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.vamt.accounts.Account;
import org.vamt.accounts.UserAccounts;
import org.vamt.hypervisor.Hypervisor;

@Command(scope = "vamt", name = "user-add", description = "Adds a WS-Management user holding AMT realms on chosen VMs")
@Service
public class UserAdd extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Reference
    Hypervisor hypervisor;

    @Reference
    Session session;

    @Argument(index = 0, name = "name", description = "User name", required = true)
    String name;

    @Option(name = "-r", aliases = "--realm", description = "AMT realm (name or number, or 'all'); repeatable",
            multiValued = true)
    List<String> realms;

    @Option(name = "-m", aliases = "--vm", description = "VM name or UUID the user may reach, or '*' for all; repeatable",
            multiValued = true)
    @Completion(VmCompleter.class)
    List<String> vms;

    @Option(name = "-p", aliases = "--password", description = "Password (prompted for when omitted)")
    String password;

    @Override
    protected Object run() throws Exception {
        Set<String> machines = new HashSet<>();
        if (vms != null) {
            for (String v : vms) {
                machines.add(Account.ALL_MACHINES.equals(v) ? v : Vms.find(hypervisor, v).uuid());
            }
        }
        Account a = accounts.add(name, Passwords.read(session, password), Realms.parse(realms), machines);
        System.out.println("Added user " + a.name() + " (handle " + a.handle() + ") with realms ["
                + Realms.format(a.realms()) + "] on " + (machines.isEmpty() ? "no VM yet" : machines.size() + " VM(s)"));
        return null;
    }
}
