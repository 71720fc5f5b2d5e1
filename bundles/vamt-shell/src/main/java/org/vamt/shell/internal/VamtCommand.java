package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.support.CommandException;
import org.vamt.accounts.AccountException;

/**
 * Every {@code vamt:*} command. A command refused because of what the operator typed (an unknown
 * VM, a bad realm, a password rule, a state that does not allow it) is reported as one line on
 * the console, as Karaf does for its own usage errors ({@link CommandException}: logged at DEBUG,
 * never as an ERROR with a stack trace in {@code data/log/karaf.log}). Anything else is a fault and
 * keeps Karaf's ERROR log with the stack trace.
 *
 * <p>While it runs, the command's thread is named after the command alone: Karaf names that thread
 * after the whole command line, the log shows thread names, and a line may carry a secret
 * ({@code -p <password>}), which must not reach {@code data/log/karaf.log} through whatever the
 * command or a service it calls happens to log.
 */
abstract class VamtCommand implements Action {

    @Override
    public final Object execute() throws Exception {
        Thread thread = Thread.currentThread();
        String lineName = thread.getName();
        Command command = getClass().getAnnotation(Command.class);
        thread.setName(command == null ? "vamt shell command" : command.scope() + ":" + command.name());
        try {
            return run();
        } catch (IllegalArgumentException | IllegalStateException | AccountException e) {
            throw new CommandException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } finally {
            thread.setName(lineName);
        }
    }

    /** The command's work; throws IllegalArgumentException and friends for what the operator can fix. */
    protected abstract Object run() throws Exception;
}
