package org.vamt.remote.internal.shell;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.SitePki;

/**
 * Issues a peer's link certificate on the CA peer, in the role the operator names: a node's certificate
 * serves the link and cannot call other nodes, a gateway's calls nodes and cannot pose as one. The role
 * has no default: the CA peer cannot know what the peer is, and a wrong default would either re-open the
 * hole roles close ({@code both}) or make a certificate its peer refuses to install. With {@code --install}
 * it becomes this peer's own identity; otherwise it goes into a PKCS12 bundle whose one-time password is
 * printed once on the console (never logged, never stored: the key is in the bundle only, encrypted with it).
 */
@Command(scope = "vamt", name = "link-cert-issue", description = "Issues the link certificate of a node or gateway "
        + "(on the CA peer): a password-protected bundle to copy to it, or with --install this peer's own")
@Service
public class LinkCertIssue extends LinkCommand {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    @Argument(index = 0, name = "id", required = true, description = "The peer's id: a node's vamt.node.id, a "
            + "gateway's name")
    String id;

    @Option(name = "-r", aliases = "--role", required = true, description = "What the peer is: node (serves the "
            + "link; serverAuth), gateway (calls nodes; clientAuth), or both for a host that really is both")
    String role;

    @Option(name = "--ip", multiValued = true, description = "An IP address the peer is reached at (repeatable)")
    List<String> ips = new ArrayList<>();

    @Option(name = "-d", aliases = "--days", description = "Validity in days (default 2 years)")
    int days = (int) SitePki.DEFAULT_PEER_VALIDITY.toDays();

    @Option(name = "--install", description = "Make it this peer's own link certificate (no bundle)")
    boolean install;

    @Option(name = "-o", aliases = "--out", description = "The bundle file (default <karaf.base>/<id>-link.p12)")
    String out;

    @Override
    protected Object run(SitePki pki) throws Exception {
        PeerRole peerRole = PeerRole.parse(role);
        List<InetAddress> addresses = new ArrayList<>();
        for (String ip : ips) {
            addresses.add(literal(ip));
        }
        Path bundle = out != null ? Paths.get(out).toAbsolutePath()
                : pki.etc().toAbsolutePath().getParent().resolve(id + "-link.p12");
        if (install) {
            pki.requireFitsThisPeer(peerRole, "the certificate of " + id);   // before issuing one it cannot use
        }
        if (!install && java.nio.file.Files.exists(bundle)) {
            throw new IllegalStateException(bundle + " already exists; remove it or give another file with --out");
        }
        SitePki.Issued issued = pki.issue(id, peerRole, addresses, Duration.ofDays(days));
        System.out.println("Issued the link certificate of " + peerRole.label() + " " + id + " (extended key usage "
                + peerRole.usages() + "): serial " + SitePki.hex(issued.certificate()
                .getSerialNumber()) + ", valid until " + issued.certificate().getNotAfter().toInstant());
        System.out.println("SHA-256 " + SitePki.sha256(issued.certificate()));
        if (install) {
            pki.install(issued.key(), issued.chain(), issued.chain().get(1));
            System.out.println("It is this peer's link certificate now (" + pki.etc().resolve(LinkTls.KEYSTORE) + ").");
            return null;
        }
        char[] password = SitePki.newPassword();
        try {
            SitePki.writeBundle(bundle, issued, password);
            System.out.println("Bundle (key, certificate, CA; PKCS12): " + bundle);
            System.out.println("Bundle password, shown only this once (not stored, not logged): " + new String(password));
        } finally {
            Arrays.fill(password, '\0');
        }
        System.out.println("Copy the bundle to " + id + ", run vamt:link-cert-install <file> there, then delete the "
                + "bundle file on both sides.");
        return null;
    }

    /** An IP literal; never a name (no DNS lookup from the shell). */
    static InetAddress literal(String ip) {
        if (!IPV4.matcher(ip).matches() && !IPV6.matcher(ip).matches()) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address");
        }
    }
}
