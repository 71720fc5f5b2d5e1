package org.vamt.shell.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.redirection.UserConsentCodes;

/**
 * The user consent codes waiting to be entered (KVM opt-in, IPS_OptInService.StartOptIn). A real
 * AMT shows the code on the PC's screen; for a VM the operator reads it here and tells the console
 * user. Codes are secrets for their lifetime: they are never logged.
 */
@Command(scope = "vamt", name = "consent-code", description = "Shows the user consent codes waiting to be "
        + "entered by a console (KVM opt-in), one per VM")
@Service
public class ConsentCode extends VamtCommand {
    @Reference
    Hypervisor hypervisor;

    @Reference(optional = true)
    UserConsentCodes codes;

    @Argument(index = 0, name = "vm", description = "VM name or UUID (all VMs when omitted)")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        if (codes == null) {
            throw new IllegalStateException("no user consent service: the feature vamt-provider-redirection is not running");
        }
        List<UserConsentCodes.ConsentCode> shown = vm == null ? codes.displayedCodes()
                : codes.displayedCode(Vms.find(hypervisor, vm).uuid()).stream().toList();
        if (shown.isEmpty()) {
            System.out.println(vm == null ? "No consent code is waiting" : "No consent code is waiting for " + vm);
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("VM");
        table.column("Code");
        table.column("Valid for").alignRight();
        Instant now = Instant.now();
        for (UserConsentCodes.ConsentCode c : shown) {
            long s = Math.max(0, Duration.between(now, c.expiresAt()).getSeconds());
            table.addRow().addContent(c.machineName(), c.code(), s + " s");
        }
        table.print(System.out);
        return null;
    }
}
