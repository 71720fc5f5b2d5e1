package org.vamt.shell.internal;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.BundleContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.defense.DefenseSettings;
import org.vamt.endpoints.Endpoints;
import org.vamt.operator.Nodes;

@Command(scope = "vamt", name = "vm-list", description = "Lists the VMs with their state, endpoint, vCPUs, memory, isolation and, on a gateway, node")
@Service
public class VmList extends VamtCommand {
    @Reference
    Hypervisor hypervisor;

    @Reference(optional = true)
    Endpoints endpoints;

    @Reference
    BundleContext context;

    @Override
    protected Object run() throws Exception {
        Map<String, Endpoints.Endpoint> byUuid = endpoints == null ? Map.of()
                : endpoints.endpoints().stream().collect(Collectors.toMap(e -> Vms.lower(e.uuid()),
                        Function.identity(), (a, b) -> a));
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("State");
        table.column("Endpoint");
        table.column("vCPUs").alignRight();
        table.column("Memory").alignRight();
        table.column("Isolated");
        Map<String, String> nodes = Nodes.byMachine(context);
        if (!nodes.isEmpty()) {
            table.column("Node");
        }
        for (MachineInfo m : hypervisor.listMachines().stream()
                .sorted(java.util.Comparator.comparing(MachineInfo::name)).toList()) {
            Endpoints.Endpoint e = byUuid.get(Vms.lower(m.uuid()));
            org.apache.karaf.shell.support.table.Row row = table.addRow();
            row.addContent(m.name(), Vms.lower(m.state().name()), e == null ? "-" : e.url(),
                    m.onlineVcpus() + "/" + m.maxVcpus(), (m.memoryKiB() / 1024) + " MiB", isolated(m.uuid()));
            if (!nodes.isEmpty()) {
                row.addContent(nodes.getOrDefault(Vms.lower(m.uuid()), "?"));
            }
        }
        table.print(System.out);
        return null;
    }

    /** Read through the owner's type (vamt-provider-defense); "?" when it cannot be read or is not installed. */
    private String isolated(String uuid) {
        try {
            return new StateStore<>(hypervisor, DefenseSettings.STATE).get(uuid).isolated() ? "yes" : "no";
        } catch (Exception | LinkageError e) {
            return "?";
        }
    }
}
