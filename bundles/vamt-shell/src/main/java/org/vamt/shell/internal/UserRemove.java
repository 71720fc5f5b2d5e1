package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.accounts.UserAccounts;

@Command(scope = "vamt", name = "user-remove", description = "Removes a WS-Management user")
@Service
public class UserRemove extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Argument(index = 0, name = "name", description = "User name", required = true)
    @Completion(UserCompleter.class)
    String name;

    @Override
    protected Object run() throws Exception {
        accounts.remove(name);
        System.out.println("Removed user " + name);
        return null;
    }
}
