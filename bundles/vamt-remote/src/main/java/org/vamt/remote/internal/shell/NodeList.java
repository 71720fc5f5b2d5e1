package org.vamt.remote.internal.shell;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.remote.RemoteNodes;

@Command(scope = "vamt", name = "node-list", description = "Lists the vAMT nodes this gateway serves: status, "
        + "endpoint, last contact and their VMs")
@Service
public class NodeList implements Action {
    @Reference(optional = true)
    RemoteNodes nodes;

    @Override
    public Object execute() {
        if (nodes == null) {
            System.out.println("Not a vAMT gateway (feature vamt-gateway with etc/org.vamt.remote.gateway.cfg), or its "
                    + "link certificate is missing (etc/vamt-link*, vamt:link-cert-list; the log says which file).");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Node");
        table.column("Status");
        table.column("Events");
        table.column("Last contact");
        table.column("VMs");
        table.column("Endpoint");
        table.column("Problem");
        Instant now = Instant.now();
        for (RemoteNodes.Node n : nodes.nodes()) {
            String vms = n.machines().stream().sorted(Comparator.comparing(MachineInfo::name))
                    .map(m -> m.name() + " (" + m.state().name().toLowerCase(java.util.Locale.ROOT) + ")")
                    .collect(Collectors.joining(", "));
            table.addRow().addContent(n.id(), n.status().name().toLowerCase(java.util.Locale.ROOT),
                    n.pushed() ? "pushed" : "polled",
                    n.lastContact() == null ? "never" : Duration.between(n.lastContact(), now).toMillis() + " ms ago",
                    vms.isEmpty() ? "-" : vms, n.endpoint() == null ? "-" : n.endpoint(),
                    n.problem() == null ? "" : n.problem());
        }
        table.print(System.out);
        return null;
    }
}
