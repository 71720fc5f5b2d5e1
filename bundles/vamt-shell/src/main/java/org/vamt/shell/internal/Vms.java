package org.vamt.shell.internal;

import java.util.List;
import java.util.Locale;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;

/** Finding a VM by name or UUID, the way every command takes it. */
final class Vms {
    private Vms() {
    }

    static MachineInfo find(Hypervisor hypervisor, String nameOrUuid) throws HypervisorException {
        List<MachineInfo> all = hypervisor.listMachines();
        for (MachineInfo m : all) {
            if (m.name().equals(nameOrUuid) || m.uuid().equalsIgnoreCase(nameOrUuid)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no VM named '" + nameOrUuid + "'; known: "
                + String.join(", ", all.stream().map(MachineInfo::name).sorted().toList()));
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
