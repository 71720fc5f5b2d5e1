package org.vamt.shell.internal;

import java.io.IOException;
import org.apache.karaf.shell.api.console.Session;

/** Reads a new password twice without echo, unless one was given on the command line. */
final class Passwords {
    private Passwords() {
    }

    static char[] read(Session session, String given) throws IOException {
        if (given != null) {
            return given.toCharArray();
        }
        String first = session.readLine("Password: ", '*');
        String again = session.readLine("Again: ", '*');
        if (first == null || !first.equals(again)) {
            throw new IllegalArgumentException("the two passwords differ");
        }
        return first.toCharArray();
    }
}
