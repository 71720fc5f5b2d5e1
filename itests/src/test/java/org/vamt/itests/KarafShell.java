package org.vamt.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import javax.security.auth.Subject;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;

/** Runs Karaf shell commands inside the test container, as a console would. */
final class KarafShell {
    private KarafShell() {
    }

    /**
     * Runs one command in a fresh session; returns what it printed, or throws what it threw. A
     * command not registered yet (its bundle still starting when the test begins) is tried again
     * for up to 60 s.
     */
    static String execute(SessionFactory sessions, String command) throws Exception {
        return executeAs(null, sessions, command);
    }

    /** {@link #execute}, with the session running as {@code user} (null: as the caller). */
    static String executeAs(Subject user, SessionFactory sessions, String command) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                return user == null ? executeOnce(sessions, command) : asUser(user, sessions, command);
            } catch (Exception e) {
                // gogo's CommandNotFoundException, which the probe does not import
                if (!"CommandNotFoundException".equals(e.getClass().getSimpleName())
                        || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    private static String asUser(Subject user, SessionFactory sessions, String command) throws Exception {
        try {
            return Subject.doAs(user, (PrivilegedExceptionAction<String>) () -> executeOnce(sessions, command));
        } catch (PrivilegedActionException e) {
            throw e.getException();
        }
    }

    private static String executeOnce(SessionFactory sessions, String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Session session = sessions.create(new ByteArrayInputStream(new byte[0]), ps, ps);
        try {
            session.execute(command);
        } finally {
            ps.flush();
            session.close();
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
