package org.vamt.remote.internal.shell;

import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.SitePki;

@Command(scope = "vamt", name = "link-cert-revoke", description = "Revokes a peer's link certificates (or one by "
        + "serial) on the CA peer and writes a new signed CRL")
@Service
public class LinkCertRevoke extends LinkCommand {
    @Argument(index = 0, name = "id-or-serial", required = true, description = "A peer id (all its valid "
            + "certificates) or a certificate serial (hex)")
    String what;

    @Override
    protected Object run(SitePki pki) throws Exception {
        List<SitePki.IssuedRecord> revoked = pki.revoke(what);
        for (SitePki.IssuedRecord r : revoked) {
            System.out.println("Revoked the certificate of " + r.id() + ", serial " + r.serialHex());
        }
        java.security.cert.X509CRL crl = pki.installedCrl().orElseThrow();
        System.out.println("CRL number " + SitePki.crlNumber(crl) + " written to " + pki.etc().resolve(LinkTls.CRL)
                + "; this peer refuses " + (revoked.size() == 1 ? "it" : "them") + " from now on.");
        System.out.println("Copy that file to every other node and gateway and run vamt:link-crl-install <file> there "
                + "(it is signed by the CA, so any channel will do).");
        return null;
    }
}
