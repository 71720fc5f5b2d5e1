package org.vamt.remote.internal.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.remote.internal.link.LinkTlsTest.handshake;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site PKI end to end on real files and real TLS handshakes (through {@link LinkTls}, the reader):
 * a CA peer issues certificates, peers install them from password-protected bundles, revoke and CRL
 * distribution refuse a peer, an operator's own PKI imports, and the index survives a reopen.
 */
class SitePkiTest {
    private static final Set<String> OWNER_ONLY = Set.of("rw-------");

    @TempDir
    Path dir;

    /** The CA peer (gateway-1, holding the CA and its own identity) and node-a installed from a bundle. */
    private SitePki caPeer() throws Exception {
        return caPeer("gateway-1");
    }

    private SitePki caPeer(String dirName) throws Exception {
        SitePki ca = new SitePki(dir.resolve(dirName));
        ca.createCa("vAMT link CA", SitePki.DEFAULT_CA_VALIDITY);
        SitePki.Issued own = ca.issue("gateway-1", PeerRole.GATEWAY, List.of(), SitePki.DEFAULT_PEER_VALIDITY);
        ca.install(own.key(), own.chain(), own.chain().get(1));
        return ca;
    }

    private SitePki peerFromBundle(SitePki ca, String id, PeerRole role) throws Exception {
        SitePki.Issued issued = ca.issue(id, role, List.of(InetAddress.getByName("127.0.0.1")), SitePki.DEFAULT_PEER_VALIDITY);
        Path bundle = dir.resolve(id + "-link.p12");
        char[] password = SitePki.newPassword();
        String typed = new String(password);
        SitePki.writeBundle(bundle, issued, password);
        SitePki peer = new SitePki(dir.resolve(id));
        peer.install(bundle, typed.toCharArray(), null);
        return peer;
    }

    @Test
    void aPeerInstalledFromABundleAndTheCaPeerMeetWithClientCertificates() throws Exception {
        SitePki ca = caPeer();
        SitePki node = peerFromBundle(ca, "node-a", PeerRole.NODE);
        LinkTls gateway = LinkTls.load(ca.etc());
        LinkTls nodeTls = LinkTls.load(node.etc());
        assertEquals("gateway-1", handshake(nodeTls, gateway), "the node sees the gateway's certificate");
        assertThrows(IOException.class, () -> handshake(gateway, nodeTls), "roles: a node does not call, a gateway does "
                + "not serve");

        X509Certificate cert = nodeTls.certificate();
        assertEquals("CN=node-a,O=vAMT link", cert.getSubjectX500Principal().getName());
        assertEquals("EC", cert.getPublicKey().getAlgorithm());
        assertEquals(List.of(PeerRole.SERVER_AUTH), cert.getExtendedKeyUsage(), "a node's certificate serves only");
        assertEquals(List.of(PeerRole.CLIENT_AUTH), gateway.certificate().getExtendedKeyUsage(),
                "a gateway's certificate calls only");
        assertEquals(Set.of("node-a", "127.0.0.1"), cert.getSubjectAlternativeNames().stream()
                .map(n -> n.get(1).toString()).collect(Collectors.toSet()));
        assertEquals(-1, cert.getBasicConstraints(), "a peer is no CA");
        assertTrue(cert.getSerialNumber().bitLength() > 96, "a random 128-bit serial");
        long days = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays();
        assertTrue(days >= 729 && days <= 730, "two years: " + days);
        X509Certificate caCert = ca.caCertificate();
        assertEquals(0, caCert.getBasicConstraints());
        assertTrue(Duration.between(Instant.now(), caCert.getNotAfter().toInstant()).toDays() >= 3650);

        for (String file : List.of("vamt-link.p12", "vamt-link.password", "vamt-link-ca.pem")) {
            assertEquals(OWNER_ONLY, Set.of(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(node.etc().resolve(file)))), file);
        }
        for (String file : List.of("vamt-link-ca.p12", "vamt-link-ca.password", "vamt-link-ca.index", "vamt-link.crl")) {
            assertEquals(OWNER_ONLY, Set.of(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(ca.etc().resolve(file)))), file);
        }
        assertFalse(Files.exists(node.etc().resolve(SitePki.CA_KEYSTORE)), "the CA key stays on the CA peer");
        assertFalse(Files.readString(node.etc().resolve("vamt-link.password")).isBlank());
    }

    @Test
    void aPeerOfAnotherCaIsRefused() throws Exception {
        SitePki ca = caPeer();
        SitePki stranger = new SitePki(dir.resolve("stranger"));
        stranger.createCa("another site", SitePki.DEFAULT_CA_VALIDITY);
        // both: the stranger is refused for its CA, not for its role
        SitePki.Issued own = stranger.issue("node-a", PeerRole.BOTH, List.of(), SitePki.DEFAULT_PEER_VALIDITY);
        stranger.install(own.key(), own.chain(), own.chain().get(1));
        LinkTls gateway = LinkTls.load(ca.etc());
        LinkTls node = LinkTls.load(peerFromBundle(ca, "node-b", PeerRole.NODE).etc());
        LinkTls strangerTls = LinkTls.load(stranger.etc());
        assertEquals("gateway-1", handshake(node, gateway));
        assertThrows(IOException.class, () -> handshake(node, strangerTls), "a client of another CA");
        assertThrows(IOException.class, () -> handshake(strangerTls, gateway), "a server of another CA");
    }

    @Test
    void aRevokedPeerIsRefusedOncePeersInstallTheNewCrl() throws Exception {
        SitePki ca = caPeer();
        SitePki node = peerFromBundle(ca, "node-a", PeerRole.NODE);
        SitePki otherGateway = peerFromBundle(ca, "gateway-2", PeerRole.GATEWAY);
        assertEquals("gateway-2", handshake(LinkTls.load(node.etc()), LinkTls.load(otherGateway.etc())));

        List<SitePki.IssuedRecord> revoked = ca.revoke("node-a");
        assertEquals(List.of("node-a"), revoked.stream().map(SitePki.IssuedRecord::id).toList());
        assertTrue(ca.installedCrl().orElseThrow().getRevokedCertificate(revoked.get(0).serial()) != null,
                "the CA peer's new CRL lists node-a's serial");

        // the CA peer refuses at once; another peer once it installed the CA peer's new CRL
        assertThrows(IOException.class, () -> handshake(LinkTls.load(node.etc()), LinkTls.load(ca.etc())));
        SitePki nodeB = peerFromBundle(ca, "node-b", PeerRole.NODE);
        assertEquals("gateway-2", handshake(LinkTls.load(node.etc()), LinkTls.load(otherGateway.etc())),
                "gateway-2 has the old CRL yet");
        otherGateway.installCrl(ca.etc().resolve(LinkTls.CRL));
        assertThrows(IOException.class, () -> handshake(LinkTls.load(node.etc()), LinkTls.load(otherGateway.etc())));
        assertEquals("gateway-2", handshake(LinkTls.load(nodeB.etc()), LinkTls.load(otherGateway.etc())),
                "a peer the CRL does not name still gets in");

        // an older CRL cannot bring node-a back, nor can a CRL signed by another CA replace it
        Path older = dir.resolve("older.crl");
        Files.copy(ca.etc().resolve(LinkTls.CRL), older);
        ca.revoke("gateway-2");
        otherGateway.installCrl(ca.etc().resolve(LinkTls.CRL));
        IllegalArgumentException rollback = assertThrows(IllegalArgumentException.class,
                () -> otherGateway.installCrl(older));
        assertTrue(rollback.getMessage().contains("older than the installed"), rollback.getMessage());
        SitePki elsewhere = new SitePki(dir.resolve("elsewhere"));
        elsewhere.createCa("elsewhere", SitePki.DEFAULT_CA_VALIDITY);
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> otherGateway.installCrl(elsewhere.etc().resolve(LinkTls.CRL)));
        assertTrue(foreign.getMessage().contains("not signed by this peer's link CA"), foreign.getMessage());
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> ca.revoke("node-a"));
        assertTrue(again.getMessage().contains("already revoked"), again.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ca.revoke("node-z"));
        assertTrue(unknown.getMessage().contains("no certificate issued"), unknown.getMessage());
    }

    @Test
    void aBundleWithTheWrongPasswordIsRefusedAndNothingIsWritten() throws Exception {
        SitePki ca = caPeer();
        SitePki.Issued issued = ca.issue("node-a", PeerRole.NODE, List.of(), SitePki.DEFAULT_PEER_VALIDITY);
        Path bundle = dir.resolve("node-a-link.p12");
        SitePki.writeBundle(bundle, issued, "right-password".toCharArray());
        assertEquals(OWNER_ONLY, Set.of(PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle))));
        SitePki node = new SitePki(dir.resolve("node-a"));
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> node.install(bundle, "wrong-password".toCharArray(), null));
        assertTrue(wrong.getMessage().contains("wrong password"), wrong.getMessage());
        assertFalse(Files.exists(node.etc().resolve(LinkTls.KEYSTORE)));
        IllegalStateException exists = assertThrows(IllegalStateException.class,
                () -> SitePki.writeBundle(bundle, issued, "x".toCharArray()));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
    }

    @Test
    void theIssuedCertificatesAreListedAfterAReopen() throws Exception {
        SitePki ca = caPeer();
        peerFromBundle(ca, "node-a", PeerRole.NODE);
        SitePki.Issued renewed = ca.issue("node-a", PeerRole.NODE, List.of(), Duration.ofDays(30));
        ca.revoke(SitePki.hex(renewed.certificate().getSerialNumber()));

        SitePki reopened = new SitePki(ca.etc());
        List<SitePki.IssuedRecord> issued = reopened.issued();
        assertEquals(List.of("gateway-1", "node-a", "node-a"), issued.stream().map(SitePki.IssuedRecord::id).toList());
        assertEquals(List.of(PeerRole.GATEWAY, PeerRole.NODE, PeerRole.NODE),
                issued.stream().map(SitePki.IssuedRecord::role).toList());
        Instant now = Instant.now();
        assertEquals(List.of("valid", "valid", "revoked"), issued.stream().map(r -> r.status(now)).toList());
        assertEquals(renewed.certificate().getSerialNumber(), issued.get(2).serial());
        assertEquals(SitePki.sha256(renewed.certificate()), issued.get(2).sha256());
        assertNull(issued.get(0).revokedAt());
        assertEquals(BigInteger.TWO, SitePki.crlNumber(reopened.installedCrl().orElseThrow()),
                "the CA's first CRL, then one after the revocation");
    }

    @Test
    void theCaIsNeverOverwrittenAndOnlyTheCaPeerIssues() throws Exception {
        SitePki ca = caPeer();
        byte[] key = Files.readAllBytes(ca.etc().resolve(SitePki.CA_KEYSTORE));
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> ca.createCa("again", SitePki.DEFAULT_CA_VALIDITY));
        assertTrue(twice.getMessage().contains("never overwritten"), twice.getMessage());
        assertTrue(java.util.Arrays.equals(key, Files.readAllBytes(ca.etc().resolve(SitePki.CA_KEYSTORE))));

        SitePki node = peerFromBundle(ca, "node-a", PeerRole.NODE);
        IllegalStateException notCa = assertThrows(IllegalStateException.class,
                () -> node.issue("node-b", PeerRole.NODE, List.of(), SitePki.DEFAULT_PEER_VALIDITY));
        assertTrue(notCa.getMessage().contains("does not hold the link CA"), notCa.getMessage());
        assertThrows(IllegalStateException.class, () -> node.createCa("mine", SitePki.DEFAULT_CA_VALIDITY),
                "a peer that trusts a CA does not start another PKI by mistake");
        IllegalArgumentException badId = assertThrows(IllegalArgumentException.class,
                () -> ca.issue("node a/../x", PeerRole.NODE, List.of(), SitePki.DEFAULT_PEER_VALIDITY));
        assertTrue(badId.getMessage().contains("is not a peer id"), badId.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> ca.issue("node-b", PeerRole.NODE, List.of(), Duration.ofDays(20 * 365)));
        assertTrue(tooLong.getMessage().contains("the link CA expires"), tooLong.getMessage());
    }

    /** An operator's own PKI: a key and certificate from elsewhere (any alias, no CA in the chain) plus the CA's PEM. */
    @Test
    void aCertificateFromTheOperatorsOwnPkiInstallsWithItsCaCertificate() throws Exception {
        LinkTlsTest.TestCa corporate = new LinkTlsTest.TestCa("Corporate Issuing CA");
        Path made = dir.resolve("made-elsewhere");
        corporate.issueInto(made, "node-a", PeerRole.NODE);
        corporate.issueInto(dir.resolve("gateway-1"), "gateway-1", PeerRole.GATEWAY);
        char[] madePassword = "link-test-password".toCharArray();
        KeyStore source = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(made.resolve(LinkTls.KEYSTORE))) {
            source.load(in, madePassword);
        }
        KeyStore leafOnly = KeyStore.getInstance("PKCS12");
        leafOnly.load(null, null);
        char[] operatorPassword = "0perator-chosen".toCharArray();
        leafOnly.setKeyEntry("node-a.example.org", (PrivateKey) source.getKey(LinkTls.ALIAS, madePassword),
                operatorPassword, new Certificate[] {source.getCertificateChain(LinkTls.ALIAS)[0]});
        Path bundle = dir.resolve("node-a.pfx");
        try (OutputStream out = Files.newOutputStream(bundle)) {
            leafOnly.store(out, operatorPassword);
        }
        SitePki node = new SitePki(dir.resolve("node-a"));
        IllegalArgumentException noCa = assertThrows(IllegalArgumentException.class,
                () -> node.install(bundle, operatorPassword, null));
        assertTrue(noCa.getMessage().contains("--ca"), noCa.getMessage());
        IllegalArgumentException wrongCa = assertThrows(IllegalArgumentException.class,
                () -> node.install(bundle, operatorPassword, caPeer("our-ca").etc().resolve(LinkTls.CA)));
        assertTrue(wrongCa.getMessage().contains("is not valid under the CA"), wrongCa.getMessage());

        SitePki.Installed installed = node.install(bundle, operatorPassword, made.resolve(LinkTls.CA));
        assertEquals(corporate.certificate, installed.ca());
        assertEquals("gateway-1", handshake(LinkTls.load(node.etc()), LinkTls.load(dir.resolve("gateway-1"))));
    }

    /**
     * A certificate of the operator's PKI installs only with the extended key usage of this peer's role,
     * which the configuration its feature installed tells: serverAuth on a node, clientAuth on a gateway.
     */
    @Test
    void anImportedCertificateNeedsTheExtendedKeyUsageOfThisPeersRole() throws Exception {
        LinkTlsTest.TestCa corporate = new LinkTlsTest.TestCa("Corporate Issuing CA");
        Path made = dir.resolve("made");
        char[] password = "link-test-password".toCharArray();   // the TestCa's bundles (chain: leaf, CA)
        corporate.issueInto(made.resolve("server"), "node-a", PeerRole.NODE);
        corporate.issueInto(made.resolve("client"), "node-a", PeerRole.GATEWAY);
        corporate.issueWithUsages(made.resolve("none"), "node-a");
        corporate.issueWithUsages(made.resolve("any"), "node-a",
                org.bouncycastle.asn1.x509.KeyPurposeId.anyExtendedKeyUsage.getId());
        corporate.issueInto(made.resolve("both"), "node-a", PeerRole.BOTH);

        Path nodeEtc = Files.createDirectories(dir.resolve("node-a"));
        Files.writeString(nodeEtc.resolve(PeerRole.NODE_CONFIG), "vamt.node.id = node-a\n");
        SitePki node = new SitePki(nodeEtc);
        IllegalArgumentException client = assertThrows(IllegalArgumentException.class,
                () -> node.install(made.resolve("client/vamt-link.p12"), password, null));
        assertTrue(client.getMessage().contains("this peer is a node (" + nodeEtc.resolve(PeerRole.NODE_CONFIG)
                + "), its certificate needs extended key usage serverAuth") && client.getMessage().contains("--role node"),
                client.getMessage());
        for (String roleless : List.of("none", "any")) {
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> node.install(made.resolve(roleless + "/vamt-link.p12"), password, null));
            assertTrue(none.getMessage().contains("names no link role"), none.getMessage());
        }
        assertFalse(Files.exists(nodeEtc.resolve(LinkTls.KEYSTORE)), "nothing was installed");
        node.install(made.resolve("server/vamt-link.p12"), password, null);
        assertEquals(PeerRole.NODE, PeerRole.of(LinkTls.load(nodeEtc).certificate()).orElseThrow());
        node.install(made.resolve("both/vamt-link.p12"), password, null);   // explicitly both: fits a node too

        Path gatewayEtc = Files.createDirectories(dir.resolve("gateway-1"));
        Files.writeString(gatewayEtc.resolve(PeerRole.GATEWAY_CONFIG), "pollMillis = 1000\n");
        SitePki gateway = new SitePki(gatewayEtc);
        IllegalArgumentException server = assertThrows(IllegalArgumentException.class,
                () -> gateway.install(made.resolve("server/vamt-link.p12"), password, null));
        assertTrue(server.getMessage().contains("needs extended key usage clientAuth"), server.getMessage());
        gateway.install(made.resolve("client/vamt-link.p12"), password, null);

        Path bothEtc = Files.createDirectories(dir.resolve("both"));
        Files.writeString(bothEtc.resolve(PeerRole.NODE_CONFIG), "vamt.node.id = node-a\n");
        Files.writeString(bothEtc.resolve(PeerRole.GATEWAY_CONFIG), "pollMillis = 1000\n");
        IllegalArgumentException onlyOne = assertThrows(IllegalArgumentException.class,
                () -> new SitePki(bothEtc).install(made.resolve("server/vamt-link.p12"), password, null));
        assertTrue(onlyOne.getMessage().contains("a node and a gateway") && onlyOne.getMessage().contains("--role both"),
                onlyOne.getMessage());
        new SitePki(bothEtc).install(made.resolve("both/vamt-link.p12"), password, null);
    }

    /** Under a root and an intermediate, the link trusts the intermediate (the CA that signs peers), as LinkTls needs. */
    @Test
    void underAnIntermediateCaTheIssuingCaIsTheAnchor() throws Exception {
        LinkTlsTest.TestCa root = new LinkTlsTest.TestCa("Corporate Root");
        java.security.KeyPair issuingKey = LinkTlsTest.ecKey();
        X509Certificate issuing = certificate(root.certificate, root.key.getPrivate(), "CN=Link Issuing CA, O=Corp",
                issuingKey.getPublic(), true);
        java.security.KeyPair nodeKey = LinkTlsTest.ecKey();
        X509Certificate leaf = certificate(issuing, issuingKey.getPrivate(), "CN=node-a, O=vAMT link",
                nodeKey.getPublic(), false);
        char[] password = "0perator-chosen".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("node-a", nodeKey.getPrivate(), password, new Certificate[] {leaf, issuing, root.certificate});
        Path bundle = dir.resolve("node-a.pfx");
        try (OutputStream out = Files.newOutputStream(bundle)) {
            ks.store(out, password);
        }
        SitePki node = new SitePki(dir.resolve("node-a"));
        IllegalArgumentException viaRoot = assertThrows(IllegalArgumentException.class,
                () -> node.install(bundle, password, null));
        assertTrue(viaRoot.getMessage().contains("give the issuing CA's certificate with --ca"), viaRoot.getMessage());
        Path issuingPem = dir.resolve("issuing.pem");
        Files.writeString(issuingPem, LinkTlsTest.pem("CERTIFICATE", issuing.getEncoded()));
        assertEquals(issuing, node.install(bundle, password, issuingPem).ca());
        assertEquals("node-a", LinkTls.peerId(LinkTls.load(node.etc()).certificate()));
    }

    private static X509Certificate certificate(X509Certificate issuer, PrivateKey issuerKey, String subject,
            java.security.PublicKey key, boolean ca) throws Exception {
        var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(System.nanoTime()), LinkTlsTest.notBefore(), LinkTlsTest.notAfter(),
                new javax.security.auth.x500.X500Principal(subject), key);
        b.addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
                new org.bouncycastle.asn1.x509.BasicConstraints(ca));
        if (!ca) {
            b.addExtension(org.bouncycastle.asn1.x509.Extension.extendedKeyUsage, false,
                    new org.bouncycastle.asn1.x509.ExtendedKeyUsage(new org.bouncycastle.asn1.x509.KeyPurposeId[] {
                        org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_serverAuth,
                        org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_clientAuth}));
        }
        return LinkTlsTest.convert(b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                .build(issuerKey)).getEncoded());
    }

    @Test
    void aRenewalReplacesThePeersCertificateAndTheOldOneCanThenBeRevoked() throws Exception {
        SitePki ca = caPeer();
        SitePki node = peerFromBundle(ca, "node-a", PeerRole.NODE);
        X509Certificate old = LinkTls.load(node.etc()).certificate();
        String password = Files.readString(node.etc().resolve(LinkTls.PASSWORD_FILE));
        SitePki.Issued renewed = ca.issue("node-a", PeerRole.NODE, List.of(), SitePki.DEFAULT_PEER_VALIDITY);
        Path bundle = dir.resolve("renewal.p12");
        SitePki.writeBundle(bundle, renewed, "renewal-password".toCharArray());
        node.install(bundle, "renewal-password".toCharArray(), null);
        assertEquals(renewed.certificate(), LinkTls.load(node.etc()).certificate());
        assertEquals(password, Files.readString(node.etc().resolve(LinkTls.PASSWORD_FILE)),
                "the peer's own keystore password is kept: one file replaced");
        ca.revoke(SitePki.hex(old.getSerialNumber()));
        assertEquals("gateway-1", handshake(LinkTls.load(node.etc()), LinkTls.load(ca.etc())),
                "the renewed certificate gets in after the old one is revoked");
    }
}
