package org.vamt.shell.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.BundleContext;
import org.vamt.cira.Cira;

@Command(scope = "vamt", name = "cira-status", description = "Shows each VM's CIRA tunnel to its Management Presence "
        + "Server: connecting, connected or backing off, since when, open channels and the last error")
@Service
public class CiraStatus extends VamtCommand {
    @Reference
    BundleContext context;

    @Override
    protected Object run() {
        Cira cira = CiraService.get(context);
        System.out.println(cira.summary());
        List<Cira.Tunnel> tunnels = cira.tunnels();
        if (tunnels.isEmpty()) {
            System.out.println("No VM dials an MPS");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("VM");
        table.column("State");
        table.column("For");
        table.column("MPS");
        table.column("Channels");
        table.column("Last error");
        Instant now = Instant.now();
        for (Cira.Tunnel t : tunnels) {
            String state = t.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            if (t.state() == Cira.State.BACKING_OFF && t.nextAttempt() != null) {
                state += " (retry in " + Math.max(0, Duration.between(now, t.nextAttempt()).toSeconds()) + " s, "
                        + t.failures() + " failed)";
            }
            table.addRow().addContent(t.vmName(), state, Duration.between(t.since(), now).toSeconds() + " s",
                    t.mps() == null ? "-" : t.mps(), t.channels(), t.lastError() == null ? "" : t.lastError());
        }
        table.print(System.out);
        return null;
    }
}
