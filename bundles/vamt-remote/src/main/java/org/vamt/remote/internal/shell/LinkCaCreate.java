package org.vamt.remote.internal.shell;

import java.security.cert.X509Certificate;
import java.time.Duration;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.remote.internal.link.SitePki;

@Command(scope = "vamt", name = "link-ca-create", description = "Creates the site CA of the node-gateway link on "
        + "this peer (once per site; never overwrites a CA)")
@Service
public class LinkCaCreate extends LinkCommand {
    @Option(name = "-n", aliases = "--name", description = "The CA's common name")
    String name = "vAMT link CA";

    @Option(name = "-d", aliases = "--days", description = "Validity of the CA certificate in days (default 10 years)")
    int days = (int) SitePki.DEFAULT_CA_VALIDITY.toDays();

    @Override
    protected Object run(SitePki pki) throws Exception {
        X509Certificate ca = pki.createCa(name, Duration.ofDays(days));
        System.out.println("Created the link CA " + SitePki.subject(ca) + ", valid until " + ca.getNotAfter().toInstant());
        System.out.println("SHA-256 " + SitePki.sha256(ca));
        System.out.println("Its key is in " + pki.etc().resolve(SitePki.CA_KEYSTORE) + " (password in "
                + SitePki.CA_KEYSTORE_PASSWORD + "): keep a backup offline; it never leaves this peer.");
        System.out.println("Next: vamt:link-cert-issue --role gateway --install <this peer's id> (or --role node), then "
                + "vamt:link-cert-issue --role node|gateway <id> for every other node and gateway.");
        return null;
    }
}
