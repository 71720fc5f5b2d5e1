package org.vamt.remote.internal.shell;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.SitePki;

@Command(scope = "vamt", name = "link-cert-list", description = "Shows this peer's link certificate and CRL, and on "
        + "the CA peer every certificate issued with its status")
@Service
public class LinkCertList extends LinkCommand {
    @Override
    protected Object run(SitePki pki) throws Exception {
        Optional<X509Certificate> own = pki.ownCertificate();
        if (own.isEmpty()) {
            System.out.println("This peer has no link certificate yet (vamt:link-cert-install, or vamt:link-cert-issue "
                    + "--install on the CA peer).");
        } else {
            X509Certificate c = own.get();
            System.out.println("This peer: " + SitePki.subject(c) + ", serial " + SitePki.hex(c.getSerialNumber())
                    + ", valid until " + c.getNotAfter().toInstant() + ", issued by " + c.getIssuerX500Principal().getName());
            System.out.println("SHA-256 " + SitePki.sha256(c));
            Optional<PeerRole> has = PeerRole.of(c);
            Optional<PeerRole> needed = PeerRole.ofPeer(pki.etc());
            boolean fits = needed.isEmpty() || has.isPresent() && has.get().covers(needed.get());
            System.out.println("Role: " + PeerRole.describe(c) + (fits ? "" : "; WRONG for this peer, which is a "
                    + needed.get().label() + " and needs " + needed.get().usages() + ": the other peers refuse it"));
        }
        Optional<X509CRL> crl = pki.installedCrl();
        System.out.println(crl.map(l -> "CRL: number " + SitePki.crlNumber(l) + ", "
                + (l.getRevokedCertificates() == null ? 0 : l.getRevokedCertificates().size()) + " revoked, dated "
                + l.getThisUpdate().toInstant()).orElse("CRL: none installed"));
        if (!pki.holdsCa()) {
            return null;
        }
        System.out.println("Issued by this peer's CA " + SitePki.subject(pki.caCertificate()) + ":");
        ShellTable table = new ShellTable();
        table.column("Peer");
        table.column("Role");
        table.column("Serial");
        table.column("Status");
        table.column("Valid until");
        table.column("SHA-256");
        Instant now = Instant.now();
        for (SitePki.IssuedRecord r : pki.issued()) {
            table.addRow().addContent(r.id(), r.role().label(), r.serialHex(), r.revokedAt() == null ? r.status(now)
                    : "revoked " + r.revokedAt(), r.notAfter(), r.sha256());
        }
        table.print(System.out);
        return null;
    }
}
