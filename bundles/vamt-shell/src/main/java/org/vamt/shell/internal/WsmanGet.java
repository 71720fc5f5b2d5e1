package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Command(scope = "vamt", name = "wsman-get", description = "WS-Transfer Get of a class instance from any endpoint")
@Service
public class WsmanGet extends WsmanCommand {
    @Completion(EndpointTargetCompleter.class)
    @Argument(index = 0, name = "target", description = "host, host:port or URL of the endpoint", required = true)
    String target;

    @Completion(CimClassCompleter.class)
    @Argument(index = 1, name = "class", description = "CIM class name (e.g. AMT_GeneralSettings) or ResourceURI",
            required = true)
    String className;

    @Override
    protected Object run() throws Exception {
        return print(client(target, true).post(ShellWsmanClient.envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", ShellWsmanClient.resourceUri(className),
                selectorMap(), null)));
    }
}
