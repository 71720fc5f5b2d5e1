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
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
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

    /** Looked up when run: without vamt-provider-redirection the class is not wired (optional import). */
    @Reference
    BundleContext context;

    @Argument(index = 0, name = "vm", description = "VM name or UUID (all VMs when omitted)")
    @Completion(VmCompleter.class)
    String vm;

    @Override
    protected Object run() throws Exception {
        ServiceReference<?> ref = context.getServiceReference("org.vamt.provider.redirection.UserConsentCodes");
        Object service = ref == null ? null : context.getService(ref);
        if (service == null) {
            throw new IllegalStateException("no user consent service: the feature vamt-provider-redirection is not running");
        }
        try {
            show((UserConsentCodes) service);
        } finally {
            context.ungetService(ref);
        }
        return null;
    }

    private void show(UserConsentCodes codes) throws Exception {
        List<UserConsentCodes.ConsentCode> shown = vm == null ? codes.displayedCodes()
                : codes.displayedCode(Vms.find(hypervisor, vm).uuid()).stream().toList();
        if (shown.isEmpty()) {
            System.out.println(vm == null ? "No consent code is waiting" : "No consent code is waiting for " + vm);
            return;
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
    }
}
