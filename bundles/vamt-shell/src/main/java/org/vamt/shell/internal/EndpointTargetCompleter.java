package org.vamt.shell.internal;

import java.net.URI;
import java.util.List;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.endpoints.Endpoints;

/** Completes wsman-* targets with the host:port of every VM endpoint. */
@Service
public class EndpointTargetCompleter implements Completer {
    @Reference
    Endpoints endpoints;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter targets = new StringsCompleter();
        for (Endpoints.Endpoint e : endpoints.endpoints()) {
            URI url = URI.create(e.url());
            targets.getStrings().add(url.getHost() + ":" + url.getPort());
        }
        return targets.complete(session, commandLine, candidates);
    }
}
