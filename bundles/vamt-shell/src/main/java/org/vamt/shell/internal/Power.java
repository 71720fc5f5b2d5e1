package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.endpoints.Endpoints;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.operator.OperatorPower;
import org.vamt.operator.PowerAction;
import org.vamt.security.SecurityService;

/** Power actions as the operator dashboard does them ({@link OperatorPower}): through the CIMOM, audited. */
@Command(scope = "vamt", name = "power", description = "Powers a VM on, off, resets, power-cycles or shuts it down (ACPI)")
@Service
public class Power extends VamtCommand {
    @Reference
    Hypervisor hypervisor;

    @Reference
    CimObjectManager cimom;

    @Reference(optional = true)
    Endpoints endpoints;

    @Reference(optional = true)
    SecurityService security;

    @Reference
    Session session;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "action", description = "on, off, reset, cycle or shutdown", required = true)
    @Completion(value = StringsCompleter.class, values = {"on", "off", "reset", "cycle", "shutdown"})
    String action;

    @Override
    protected Object run() throws Exception {
        PowerAction requested = PowerAction.of(action);
        MachineInfo m = Vms.find(hypervisor, vm);
        OperatorPower.request(cimom, security, endpoints, m, requested, "shell:" + session.get("USER"), "");
        System.out.println("VM " + m.name() + ": " + requested.word() + " requested");
        return null;
    }
}
