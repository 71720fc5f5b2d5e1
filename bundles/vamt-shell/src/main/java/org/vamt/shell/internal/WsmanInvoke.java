package org.vamt.shell.internal;

import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.markup.Markup;

@Command(scope = "vamt", name = "wsman-invoke", description = "Invokes a class method on any endpoint")
@Service
public class WsmanInvoke extends WsmanCommand {
    @Completion(EndpointTargetCompleter.class)
    @Argument(index = 0, name = "target", description = "host, host:port or URL of the endpoint", required = true)
    String target;

    @Completion(CimClassCompleter.class)
    @Argument(index = 1, name = "class", description = "CIM class name or ResourceURI", required = true)
    String className;

    @Argument(index = 2, name = "method", description = "Method name, e.g. RequestPowerStateChange", required = true)
    String method;

    @Option(name = "-a", aliases = "--arg", description = "Input parameter name=value; repeatable", multiValued = true)
    List<String> args;

    @Override
    protected Object run() throws Exception {
        String uri = ShellWsmanClient.resourceUri(className);
        StringBuilder body = new StringBuilder("<p:" + method + "_INPUT xmlns:p=\"" + uri + "\">");
        if (args != null) {
            for (String a : args) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("an argument is name=value, got '" + a + "'");
                }
                String name = a.substring(0, eq);
                body.append("<p:").append(name).append('>').append(Markup.escape(a.substring(eq + 1)))
                        .append("</p:").append(name).append('>');
            }
        }
        body.append("</p:").append(method).append("_INPUT>");
        return print(client(target, true).post(ShellWsmanClient.envelope(uri + "/" + method, uri, selectorMap(),
                body.toString())));
    }
}
