package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.BundleContext;
import org.vamt.hypervisor.Hypervisor;

@Command(scope = "vamt", name = "cira-reconnect", description = "Drops and redials a VM's CIRA tunnel (every VM's "
        + "when none is named) at once, without waiting for the back-off")
@Service
public class CiraReconnect extends VamtCommand {
    @Reference
    BundleContext context;

    @Reference
    Hypervisor hypervisor;

    @Argument(index = 0, name = "vm", description = "VM name or UUID (all VMs when omitted)")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        String uuid = vm == null ? null : Vms.find(hypervisor, vm).uuid();
        CiraService.get(context).refresh(uuid);
        System.out.println(vm == null ? "Every VM redials its MPS" : "VM " + vm + " redials its MPS");
        return null;
    }
}
