package org.vamt.shell.internal;

import java.util.List;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.accounts.Account;
import org.vamt.accounts.UserAccounts;

/** Completes user names. */
@Service
public class UserCompleter implements Completer {
    @Reference
    UserAccounts accounts;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter names = new StringsCompleter();
        accounts.accounts().stream().map(Account::name).forEach(names.getStrings()::add);
        return names.complete(session, commandLine, candidates);
    }
}
