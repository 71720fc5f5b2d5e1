package org.vamt.shell.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.accounts.UserAccounts;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.security.AuditEvent;
import org.vamt.security.SecurityService;

/**
 * A new password for the WS-Management user {@code admin}, from the local shell: for when the
 * password generated at first start was not kept. Without options a password is generated and
 * printed once (never logged); the change is logged without it and audited on every VM as AMT
 * records an ACL entry change (Security Admin, ACL Entry Modified, password).
 */
@Command(scope = "vamt", name = "admin-reset", description = "Sets a new password for the WS-Management user "
        + "'admin': generated and printed once, or the one given")
@Service
public class AdminReset extends VamtCommand {
    static final int APP_SECURITY_ADMIN = 16;
    static final int EVENT_ACL_ENTRY_MODIFIED = 3;
    /** ACL Entry Modified's ParameterModified bit for the password. */
    static final int PASSWORD_MODIFIED = 0x02;
    private static final Logger LOG = LoggerFactory.getLogger(AdminReset.class);

    @Reference
    UserAccounts accounts;

    @Reference(optional = true)
    Hypervisor hypervisor;

    @Reference(optional = true)
    SecurityService security;

    @Reference
    Session session;

    @Option(name = "-p", aliases = "--password", description = "The new password (through bin/client: "
            + "bin/client -- vamt:admin-reset -p ...); generated when omitted")
    String password;

    @Option(name = "-i", aliases = "--interactive", description = "Asks for the new password (twice, not echoed)")
    boolean interactive;

    @Override
    protected Object run() throws Exception {
        boolean generated = password == null && !interactive;
        char[] next = generated ? UserAccounts.generatePassword().toCharArray()
                : interactive ? Passwords.read(session, null) : password.toCharArray();
        accounts.setPassword(UserAccounts.ADMIN, next);
        String by = "shell:" + session.get("USER");
        LOG.info("Password of user {} reset from the local shell by {}", UserAccounts.ADMIN, by);
        audit(by);
        if (generated) {
            System.out.println("New password of user 'admin': " + new String(next));
            System.out.println("It is shown only this once and stored sealed; it is not logged.");
        } else {
            System.out.println("Password of user 'admin' changed");
        }
        java.util.Arrays.fill(next, '\0');
        return null;
    }

    private void audit(String by) {
        if (security == null || hypervisor == null) {
            return;
        }
        byte[] name = UserAccounts.ADMIN.getBytes(StandardCharsets.UTF_8);
        byte[] ex = new byte[3 + name.length];
        ex[0] = PASSWORD_MODIFIED;
        ex[1] = 0;   // initiator type: Digest user
        ex[2] = (byte) name.length;
        System.arraycopy(name, 0, ex, 3, name.length);
        try {
            for (MachineInfo m : hypervisor.listMachines()) {
                security.audit(new AuditEvent(m.uuid(), APP_SECURITY_ADMIN, EVENT_ACL_ENTRY_MODIFIED, by, "", ex,
                        Instant.now()));
            }
        } catch (Exception e) {
            LOG.warn("The admin password was reset but could not be audited on every VM: {}", e.toString());
        }
    }
}
