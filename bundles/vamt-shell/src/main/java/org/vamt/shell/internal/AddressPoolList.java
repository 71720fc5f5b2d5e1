package org.vamt.shell.internal;

import java.util.Optional;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.endpoints.Endpoints;

@Command(scope = "vamt", name = "address-pool", description = "Shows the endpoint address pool: which addresses VMs "
        + "hold, which vAMT added to the interface, which other hosts on the LAN use, and VMs left without an address")
@Service
public class AddressPoolList extends VamtCommand {
    @Reference
    Endpoints endpoints;

    @Override
    protected Object run() {
        Optional<Endpoints.AddressPoolState> state = endpoints.addressPool();
        if (state.isEmpty()) {
            System.out.println("No address pool: VM addresses are not added to the host by vAMT (set addressPool and "
                    + "poolInterface in etc/org.vamt.wsman.cfg, strategy address)");
            return null;
        }
        Endpoints.AddressPoolState s = state.get();
        long vms = s.taken().stream().filter(a -> a.vm() != null).count();
        long lan = s.taken().stream().filter(Endpoints.PoolAddress::inUseOnLan).count();
        System.out.printf("Address pool %s on %s: %d addresses, %d held by VMs, %d in use by other hosts, %d free%n",
                s.pool(), s.networkInterface(), s.size(), vms, lan, s.size() - s.taken().size());
        ShellTable table = new ShellTable();
        table.column("Address");
        table.column("VM");
        table.column("On " + s.networkInterface());
        table.column("Note");
        for (Endpoints.PoolAddress a : s.taken()) {
            table.addRow().addContent(a.address(), a.vm() == null ? "-" : a.vm(),
                    a.onInterface() ? "added by vAMT" : a.vm() != null ? "already local" : "-",
                    a.inUseOnLan() ? "in use by another host (answered the ARP probe): skipped" : "");
        }
        table.print(System.out);
        if (!s.withoutEndpoint().isEmpty()) {
            System.out.println("VMs without an endpoint (no address of the pool could be taken; see the log): "
                    + String.join(", ", s.withoutEndpoint()));
        }
        return null;
    }
}
