package org.vamt.shell.internal;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;

/** What the wsman-* commands share: target, credentials, selectors, printing the answer. */
abstract class WsmanCommand extends VamtCommand {
    @Reference
    Session session;

    @Option(name = "-u", aliases = "--user", description = "Digest user (default admin)")
    String user = "admin";

    @Option(name = "-p", aliases = "--password", description = "Digest password (prompted for when omitted)")
    String password;

    @Option(name = "-k", aliases = "--selector", description = "Selector name=value; repeatable", multiValued = true)
    List<String> selectors;

    ShellWsmanClient client(String target, boolean needsCredentials) throws Exception {
        String pw = password;
        if (needsCredentials && pw == null) {
            pw = session.readLine("Password for " + user + ": ", '*');
        }
        return new ShellWsmanClient(target, user, pw == null ? "" : pw);
    }

    Map<String, String> selectorMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (selectors != null) {
            for (String s : selectors) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("a selector is name=value, got '" + s + "'");
                }
                map.put(s.substring(0, eq), s.substring(eq + 1));
            }
        }
        return map;
    }

    /** Prints the answer; a non-200 answer is an error (stderr, non-zero status). */
    static Object print(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + "\n" + ShellWsmanClient.pretty(r.body()));
        }
        System.out.print(ShellWsmanClient.pretty(r.body()));
        return null;
    }
}
