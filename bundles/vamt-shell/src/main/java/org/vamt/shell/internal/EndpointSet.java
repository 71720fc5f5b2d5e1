package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.endpoints.Endpoints;

@Command(scope = "vamt", name = "endpoint-set", description = "Moves a VM's endpoint to another IPv4 address, port or host "
        + "name, as the endpoint strategy says (kept across restarts)")
@Service
public class EndpointSet extends VamtCommand {
    @Reference
    Endpoints endpoints;

    @Reference
    Hypervisor hypervisor;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "target", description = "strategy address: an IPv4 address the host answers on (e.g. an "
            + "alias address); strategy port: a port; strategy host: a host name", required = true)
    String address;

    @Override
    protected Object run() throws Exception {
        Endpoints.Endpoint e = endpoints.move(Vms.find(hypervisor, vm).uuid(), address);
        System.out.println("VM " + e.name() + " now answers at " + e.url());
        return null;
    }
}
