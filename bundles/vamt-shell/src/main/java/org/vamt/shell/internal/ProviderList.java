package org.vamt.shell.internal;

import java.util.Arrays;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimProvider;

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
        ServiceReference<?>[] refs = context.getAllServiceReferences(CimProvider.class.getName(), null);
        if (refs != null) {
            Arrays.sort(refs, (a, b) -> a.getBundle().getSymbolicName().compareTo(b.getBundle().getSymbolicName()));
            for (ServiceReference<?> r : refs) {
                Object classes = r.getProperty(CimProvider.CLASSES);
                String list = classes instanceof String[] a ? String.join(", ", a) : String.valueOf(classes);
                boolean remote = r.getProperty("service.imported") != null;
                table.addRow().addContent(r.getBundle().getSymbolicName(), r.getBundle().getVersion(),
                        remote ? "remote " + r.getProperty("endpoint.id") : "local", list);
            }
        }
        table.print(System.out);
        // On a gateway the providers are local but the VMs they serve are on remote nodes. By name,
        // so the shell does not need the vamt-remote bundle in the all-in-one.
        ServiceReference<?>[] gateways = context.getAllServiceReferences("org.vamt.remote.RemoteNodes", null);
        if (gateways != null) {
            System.out.println("Hypervisor: remote, the VMs of the vAMT nodes in discovery (vamt:node-list)");
        }
        return null;
    }
}
