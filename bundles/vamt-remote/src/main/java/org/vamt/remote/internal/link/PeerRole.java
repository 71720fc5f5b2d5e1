package org.vamt.remote.internal.link;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a link certificate lets its peer do, written in its extended key usage: a node serves the link
 * (serverAuth), a gateway calls nodes (clientAuth). A node's certificate therefore cannot call another
 * node, so a compromised node reaches no other node's hypervisor or consoles. {@link #BOTH} is for a
 * host that really is both, and only ever chosen explicitly.
 *
 * <p>The link reads roles from the extension alone: a certificate without it, or with only
 * anyExtendedKeyUsage, has no role (JSSE would take it for anything; the link does not).
 */
public enum PeerRole {
    NODE(true, false),
    GATEWAY(false, true),
    BOTH(true, true);

    /** id-kp-serverAuth (RFC 5280 4.2.1.12): a TLS server, the node's end of the link. */
    public static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    /** id-kp-clientAuth: a TLS client, the gateway's end of the link. */
    public static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** The configuration file a node's feature installs (vamt-node), and a gateway's (vamt-gateway). */
    public static final String NODE_CONFIG = "org.vamt.remote.node.cfg";
    public static final String GATEWAY_CONFIG = "org.vamt.remote.gateway.cfg";

    private final boolean serves;
    private final boolean calls;

    PeerRole(boolean serves, boolean calls) {
        this.serves = serves;
        this.calls = calls;
    }

    /** Whether the certificate may serve the link (TLS server: a node). */
    public boolean serves() {
        return serves;
    }

    /** Whether the certificate may call nodes (TLS client: a gateway). */
    public boolean calls() {
        return calls;
    }

    /** The role as the shell writes it: node, gateway, both. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The extended key usages of this role, by name: "serverAuth", "clientAuth" or both. */
    public String usages() {
        return serves && calls ? "serverAuth,clientAuth" : serves ? "serverAuth" : "clientAuth";
    }

    /** The OIDs of {@link #usages()}. */
    public List<String> purposes() {
        return serves && calls ? List.of(SERVER_AUTH, CLIENT_AUTH) : List.of(serves ? SERVER_AUTH : CLIENT_AUTH);
    }

    /** Whether a certificate of this role can do everything {@code needed} does. */
    public boolean covers(PeerRole needed) {
        return (serves || !needed.serves) && (calls || !needed.calls);
    }

    public static PeerRole parse(String text) {
        for (PeerRole r : values()) {
            if (r.label().equalsIgnoreCase(text == null ? "" : text.strip())) {
                return r;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a role: node (serves the link, serverAuth), gateway "
                + "(calls nodes, clientAuth) or both");
    }

    /** The role {@code certificate}'s extended key usage gives it; empty when it names neither TLS use. */
    public static Optional<PeerRole> of(X509Certificate certificate) throws CertificateParsingException {
        List<String> uses = certificate.getExtendedKeyUsage();
        if (uses == null) {
            return Optional.empty();
        }
        boolean server = uses.contains(SERVER_AUTH);
        boolean client = uses.contains(CLIENT_AUTH);
        return server && client ? Optional.of(BOTH) : server ? Optional.of(NODE) : client ? Optional.of(GATEWAY)
                : Optional.empty();
    }

    /** {@code certificate}'s role for messages and listings: "node", or "none (no serverAuth or clientAuth)". */
    public static String describe(X509Certificate certificate) {
        try {
            return of(certificate).map(r -> r.label() + " (" + r.usages() + ")")
                    .orElse("none (no serverAuth or clientAuth in its extended key usage)");
        } catch (CertificateParsingException e) {
            return "none (unreadable extended key usage)";
        }
    }

    /**
     * The role this peer needs, from the configuration its features installed in {@code etc}: a node
     * (vamt-node's {@value #NODE_CONFIG}), a gateway ({@value #GATEWAY_CONFIG}), both; empty for a peer
     * that is neither yet (the CA peer alone, or one whose feature is not installed).
     */
    public static Optional<PeerRole> ofPeer(Path etc) {
        boolean node = Files.exists(etc.resolve(NODE_CONFIG));
        boolean gateway = Files.exists(etc.resolve(GATEWAY_CONFIG));
        return node && gateway ? Optional.of(BOTH) : node ? Optional.of(NODE) : gateway ? Optional.of(GATEWAY)
                : Optional.empty();
    }
}
