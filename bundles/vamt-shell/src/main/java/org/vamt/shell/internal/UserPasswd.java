package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.vamt.accounts.UserAccounts;

@Command(scope = "vamt", name = "user-passwd", description = "Sets a user's password (on every VM)")
@Service
public class UserPasswd extends VamtCommand {
    @Reference
    UserAccounts accounts;

    @Reference
    Session session;

    @Argument(index = 0, name = "name", description = "User name", required = true)
    @Completion(UserCompleter.class)
    String name;

    @Option(name = "-p", aliases = "--password", description = "Password (prompted for when omitted)")
    String password;

    @Override
    protected Object run() throws Exception {
        accounts.setPassword(name, Passwords.read(session, password));
        System.out.println("Password of " + name + " changed");
        return null;
    }
}
