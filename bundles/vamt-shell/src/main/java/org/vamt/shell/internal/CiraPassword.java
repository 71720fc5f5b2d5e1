package org.vamt.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.osgi.framework.BundleContext;

@Command(scope = "vamt", name = "cira-password", description = "Sets the password the VMs log in to the MPS with "
        + "(sealed in etc/org.vamt.cira.cfg, never logged); the tunnels reconnect with it")
@Service
public class CiraPassword extends VamtCommand {
    @Reference
    BundleContext context;

    @Reference
    Session session;

    @Option(name = "-p", aliases = "--password", description = "Password, 8-16 characters (prompted for when omitted)")
    String password;

    @Override
    protected Object run() throws Exception {
        CiraService.get(context).setPassword(Passwords.read(session, password));
        System.out.println("MPS password changed");
        return null;
    }
}
