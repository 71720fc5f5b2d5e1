package org.vamt.shell.internal;

import java.util.List;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;

/** Completes VM names. */
@Service
public class VmCompleter implements Completer {
    @Reference
    Hypervisor hypervisor;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter names = new StringsCompleter();
        try {
            for (MachineInfo m : hypervisor.listMachines()) {
                names.getStrings().add(m.name());
            }
        } catch (HypervisorException e) {
            // no completion while the hypervisor is away
        }
        return names.complete(session, commandLine, candidates);
    }
}
