package org.vamt.shell.internal;

import java.util.List;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.cim.spi.CimObjectManager;

/** Completes the CIM classes some provider serves right now (they come and go with providers). */
@Service
public class CimClassCompleter implements Completer {
    @Reference
    CimObjectManager cimom;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter classes = new StringsCompleter(cimom.servedClasses());
        return classes.complete(session, commandLine, candidates);
    }
}
