package org.vamt.remote.internal.shell;

import java.nio.file.Paths;
import java.security.cert.X509CRL;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.remote.internal.link.SitePki;

@Command(scope = "vamt", name = "link-crl-install", description = "Installs the link CA's revocation list copied "
        + "from the CA peer (checked: signed by this peer's CA, not older than the installed one)")
@Service
public class LinkCrlInstall extends LinkCommand {
    @Argument(index = 0, name = "file", required = true, description = "The vamt-link.crl file of the CA peer")
    String file;

    @Override
    protected Object run(SitePki pki) throws Exception {
        X509CRL crl = pki.installCrl(Paths.get(file).toAbsolutePath());
        int revoked = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        System.out.println("Installed CRL number " + SitePki.crlNumber(crl) + " of " + crl.getIssuerX500Principal()
                .getName() + ": " + revoked + " revoked certificate(s), refused from the next handshake on.");
        return null;
    }
}
