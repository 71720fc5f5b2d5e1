package org.vamt.remote.internal.shell;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.support.CommandException;
import org.vamt.remote.internal.link.SitePki;

/**
 * Every {@code vamt:link-*} command, on the link files of this peer's {@code ${karaf.etc}}. As vamt-shell's
 * commands do: what the operator can fix (an unknown peer, a wrong password, a CA that exists) is one line
 * on the console ({@link CommandException}, no stack trace in the log), and the command runs on a thread
 * named after the command alone, because Karaf names it after the whole line ({@code -p <password>}
 * included) and the log shows thread names.
 */
abstract class LinkCommand implements Action {
    /** The etc directory whose link files the command reads and writes; tests point it elsewhere. */
    Path etc = Paths.get(System.getProperty("karaf.etc", "etc"));

    @Override
    public final Object execute() throws Exception {
        Thread thread = Thread.currentThread();
        String lineName = thread.getName();
        Command command = getClass().getAnnotation(Command.class);
        thread.setName(command == null ? "vamt link command" : command.scope() + ":" + command.name());
        try {
            return run(new SitePki(etc));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } finally {
            thread.setName(lineName);
        }
    }

    /** The command's work; throws IllegalArgumentException or IllegalStateException for what the operator can fix. */
    protected abstract Object run(SitePki pki) throws Exception;
}
