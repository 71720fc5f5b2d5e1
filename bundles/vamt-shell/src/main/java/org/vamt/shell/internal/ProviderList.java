package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.BundleContext;
import org.vamt.cim.VamtProduct;
import org.vamt.operator.Providers;

@Command(scope = "vamt", name = "provider-list", description = "Lists the CIM providers: which bundle serves which classes, local or remote")
@Service
public class ProviderList extends VamtCommand {
    @Reference
    BundleContext context;

    @Override
    protected Object run() throws Exception {
        // vAMT's own version lives here, for the operator: CIM_SoftwareIdentity has AMT's 11 instances only
        System.out.println("vAMT " + VamtProduct.vamtVersion() + ", answering as Intel(R) AMT " + VamtProduct.amtVersion());
        ShellTable table = new ShellTable();
        table.column("Bundle");
        table.column("Version");
        table.column("Where");
        table.column("Classes");
        for (Providers.Provider p : Providers.list(context)) {
            table.addRow().addContent(p.bundle(), p.version(), p.where(), String.join(", ", p.classes()));
        }
        table.print(System.out);
        // On a gateway the providers are local but the VMs they serve are on remote nodes.
        if (Providers.isGateway(context)) {
            System.out.println("Hypervisor: remote, the VMs of the vAMT nodes in discovery (vamt:node-list)");
        }
        return null;
    }
}
