package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.support.CommandException;
import org.vamt.accounts.AccountException;

/**
 * Every {@code vamt:*} command. A command refused because of what the operator typed (an unknown
 * VM, a bad realm, a password rule, a state that does not allow it) is reported as one line on
 * the console, as Karaf does for its own usage errors ({@link CommandException}: logged at DEBUG,
 * never as an ERROR with a stack trace in {@code data/log/karaf.log}). Anything else is a fault and
 * keeps Karaf's ERROR log with the stack trace.
 */
abstract class VamtCommand implements Action {

    @Override
    public final Object execute() throws Exception {
        try {
            return run();
        } catch (IllegalArgumentException | IllegalStateException | AccountException e) {
            throw new CommandException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** The command's work; throws IllegalArgumentException and friends for what the operator can fix. */
    protected abstract Object run() throws Exception;
}
