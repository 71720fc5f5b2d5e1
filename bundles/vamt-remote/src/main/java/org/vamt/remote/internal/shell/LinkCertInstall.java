package org.vamt.remote.internal.shell;

import java.nio.file.Paths;
import java.util.Arrays;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.SitePki;

/**
 * Installs this peer's link identity from a PKCS12 bundle: one of {@code vamt:link-cert-issue}, or one an
 * operator made with their own PKI (then with {@code --ca} when the bundle does not carry its CA). The
 * certificate's extended key usage must fit this peer: serverAuth on a node, clientAuth on a gateway
 * (see {@link org.vamt.remote.internal.link.PeerRole#ofPeer}). The key is stored under this peer's own
 * random password (owner-only password file); the bundle's password is not kept.
 */
@Command(scope = "vamt", name = "link-cert-install", description = "Installs this peer's link certificate from a "
        + "PKCS12 bundle (from vamt:link-cert-issue, or made with your own PKI)")
@Service
public class LinkCertInstall extends LinkCommand {
    @Argument(index = 0, name = "bundle", required = true, description = "The PKCS12 file")
    String bundle;

    @Option(name = "--ca", description = "The CA certificate (PEM) the link trusts, when the bundle's chain does not "
            + "end with it")
    String ca;

    @Option(name = "-p", aliases = "--password", description = "The bundle's password (for scripts); asked for, "
            + "not echoed, when omitted")
    String password;

    @Reference(optional = true)
    Session session;

    @Override
    protected Object run(SitePki pki) throws Exception {
        char[] secret;
        if (password != null) {
            secret = password.toCharArray();
        } else if (session != null) {
            String typed = session.readLine("Bundle password: ", '*');
            if (typed == null) {
                throw new IllegalArgumentException("no password given");
            }
            secret = typed.toCharArray();
        } else {
            throw new IllegalArgumentException("give the bundle's password with --password");
        }
        SitePki.Installed installed;
        try {
            installed = pki.install(Paths.get(bundle).toAbsolutePath(), secret, ca == null ? null : Paths.get(ca));
        } finally {
            Arrays.fill(secret, '\0');
        }
        System.out.println("This peer's link certificate is now " + SitePki.subject(installed.certificate()) + ", serial "
                + SitePki.hex(installed.certificate().getSerialNumber()) + ", valid until "
                + installed.certificate().getNotAfter().toInstant());
        System.out.println("SHA-256 " + SitePki.sha256(installed.certificate()));
        System.out.println("Role: " + PeerRole.describe(installed.certificate()));
        System.out.println("The link trusts the CA " + SitePki.subject(installed.ca()) + " (SHA-256 "
                + SitePki.sha256(installed.ca()) + ")");
        if (installed.trustAnchorChanged()) {
            System.out.println("That CA replaces the one this peer trusted before; the old CA's CRL was removed.");
        }
        System.out.println("Delete the bundle file now: " + bundle);
        return null;
    }
}
