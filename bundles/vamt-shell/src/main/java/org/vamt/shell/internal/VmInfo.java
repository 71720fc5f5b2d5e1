package org.vamt.shell.internal;

import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.endpoints.Endpoints;

@Command(scope = "vamt", name = "vm-info", description = "Shows a VM's endpoint, state and hardware as vAMT reports it")
@Service
public class VmInfo extends VamtCommand {
    @Reference
    Hypervisor hypervisor;

    @Reference(optional = true)
    Endpoints endpoints;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        MachineInfo m = Vms.find(hypervisor, vm);
        MachineHardware hw = hypervisor.hardware(m.uuid());
        PrintStream out = System.out;
        out.println("Name:      " + m.name());
        out.println("UUID:      " + m.uuid());
        out.println("State:     " + Vms.lower(m.state().name()));
        if (endpoints != null) {
            endpoints.endpoints().stream().filter(e -> e.uuid().equalsIgnoreCase(m.uuid())).findFirst()
                    .ifPresent(e -> {
                        out.println("Endpoint:  " + e.url());
                        out.println("Realm:     " + e.realm());
                    });
        }
        out.println("vCPUs:     " + m.onlineVcpus() + " online of " + m.maxVcpus());
        out.println("Memory:    " + m.memoryKiB() / 1024 + " MiB");
        out.println("Firmware:  " + (hw.firmware().uefi() ? "UEFI" : "BIOS") + " " + hw.firmware().vendor() + " "
                + hw.firmware().version());
        for (MachineHardware.Disk d : hw.disks()) {
            out.println("Disk:      " + d.target() + " (" + d.bus() + (d.cdrom() ? ", CD/DVD" : "") + ") "
                    + (d.source() == null ? "" : d.source()));
        }
        for (MachineHardware.Nic n : hw.nics()) {
            out.println("NIC:       " + n.mac() + " " + n.model() + " link " + (n.linkUp() ? "up" : "down"));
        }
        return null;
    }
}
