package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Command(scope = "vamt", name = "wsman-enumerate", description = "Enumerates every instance of a class on any endpoint (optimized enumeration)")
@Service
public class WsmanEnumerate extends WsmanCommand {
    @Completion(EndpointTargetCompleter.class)
    @Argument(index = 0, name = "target", description = "host, host:port or URL of the endpoint", required = true)
    String target;

    @Completion(CimClassCompleter.class)
    @Argument(index = 1, name = "class", description = "CIM class name or ResourceURI", required = true)
    String className;

    @Override
    protected Object run() throws Exception {
        String body = "<Enumerate xmlns=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
                + "<w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>999</w:MaxElements></Enumerate>";
        return print(client(target, true).post(ShellWsmanClient.envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", ShellWsmanClient.resourceUri(className),
                selectorMap(), body)));
    }
}
