package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.endpoints.Endpoints;

@Command(scope = "vamt", name = "endpoint-list", description = "Lists the WS-Management endpoints: VM, URL, host name and Digest realm")
@Service
public class EndpointList extends VamtCommand {
    @Reference
    Endpoints endpoints;

    @Override
    protected Object run() {
        ShellTable table = new ShellTable();
        table.column("VM");
        table.column("URL");
        table.column("Host name");
        table.column("Realm");
        table.column("UUID");
        for (Endpoints.Endpoint e : endpoints.endpoints()) {
            table.addRow().addContent(e.name(), e.url(), e.hostName(), e.realm(), e.uuid());
        }
        table.print(System.out);
        return null;
    }
}
