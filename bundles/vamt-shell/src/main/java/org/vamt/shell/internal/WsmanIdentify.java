package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Command(scope = "vamt", name = "wsman-identify", description = "Sends a WS-Management Identify (no credentials) to any endpoint")
@Service
public class WsmanIdentify extends WsmanCommand {
    @Completion(EndpointTargetCompleter.class)
    @Argument(index = 0, name = "target", description = "host, host:port or URL of the endpoint", required = true)
    String target;

    @Override
    protected Object run() throws Exception {
        String body = "<Identify xmlns=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"></Identify>";
        String envelope = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope "
                + "xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header></Header><Body>" + body
                + "</Body></Envelope>";
        return print(client(target, false).postAnonymous(envelope));
    }
}
