package org.vamt.dashboard.internal;

import java.security.Principal;
import javax.security.auth.Subject;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;
import org.apache.karaf.jaas.boot.ProxyLoginModule;

/**
 * A login against a Karaf JAAS realm, as Karaf's own web console checks it: the realm's login
 * modules decide the password; the subject must then hold the required role.
 */
final class JaasLogin {
    private static final String ROLE_PRINCIPAL = "org.apache.karaf.jaas.boot.principal.RolePrincipal";

    enum Outcome { ADMITTED, WRONG_CREDENTIALS, LACKS_ROLE }

    private final String realm;
    private final String role;

    JaasLogin(String realm, String role) {
        this.realm = realm;
        this.role = role;
    }

    String role() {
        return role;
    }

    /** The name {@code user} has in vAMT's login lockout: this realm's, never a VM user's. */
    String account(String user) {
        return "jaas:" + realm + ":" + user;
    }

    Outcome login(String user, char[] password) {
        Subject subject = new Subject();
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        // JAAS loads the realm's login module class (Karaf's proxy, on the boot class path) through the
        // context class loader, which in a servlet thread is the web application's
        thread.setContextClassLoader(ProxyLoginModule.class.getClassLoader());
        try {
            LoginContext context = new LoginContext(realm, subject, callbacks -> {
                for (var c : callbacks) {
                    if (c instanceof NameCallback n) {
                        n.setName(user);
                    } else if (c instanceof PasswordCallback p) {
                        p.setPassword(password);
                    } else {
                        throw new UnsupportedCallbackException(c);
                    }
                }
            });
            context.login();
            try {
                for (Principal p : subject.getPrincipals()) {
                    // by class name, as Karaf's web console checks: the login module's copy of the class may
                    // come from another class loader than this bundle's import
                    if (ROLE_PRINCIPAL.equals(p.getClass().getName()) && role.equals(p.getName())) {
                        return Outcome.ADMITTED;
                    }
                }
                return Outcome.LACKS_ROLE;
            } finally {
                context.logout();
            }
        } catch (LoginException e) {
            return Outcome.WRONG_CREDENTIALS;
        } finally {
            thread.setContextClassLoader(before);
        }
    }
}
