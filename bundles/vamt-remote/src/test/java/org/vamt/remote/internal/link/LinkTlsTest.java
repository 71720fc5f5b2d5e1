package org.vamt.remote.internal.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS handshakes on loopback between peers whose material {@link LinkTls} reads: peers of the
 * site CA meet, with the client's certificate required; a peer of another CA, a revoked peer, and
 * every peer under a revocation list the CA did not sign are refused.
 */
class LinkTlsTest {
    @TempDir
    Path dir;

    /** A small CA for tests (the product's CA commands write the same files). */
    static final class TestCa {
        final KeyPair key;
        final X509Certificate certificate;

        TestCa(String name) throws Exception {
            key = ecKey();
            X500Name subject = new X500Name("CN=" + name + ", O=vAMT link");
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, notBefore(),
                    notAfter(), subject, key.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            certificate = convert(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())).getEncoded());
        }

        /** Writes {@code id}'s identity in {@code role} into {@code etc}, in the link's file contract; returns its serial. */
        BigInteger issueInto(Path etc, String id, PeerRole role) throws Exception {
            return issueWithUsages(etc, id, role.purposes().toArray(String[]::new));
        }

        /**
         * As {@link #issueInto}, with the extended key usages {@code oids} (none: a certificate without the
         * extension, as some other PKIs issue them).
         */
        BigInteger issueWithUsages(Path etc, String id, String... oids) throws Exception {
            Files.createDirectories(etc);
            KeyPair peer = ecKey();
            BigInteger serial = new BigInteger(127, new java.security.SecureRandom()).add(BigInteger.TWO);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial, notBefore(), notAfter(),
                    new X500Name("CN=" + id + ", O=vAMT link"), peer.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            if (oids.length > 0) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(Arrays.stream(oids)
                        .map(oid -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid))).toArray(KeyPurposeId[]::new)));
            }
            X509Certificate cert = convert(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(key.getPrivate())).getEncoded());
            char[] password = "link-test-password".toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(LinkTls.ALIAS, peer.getPrivate(), password, new Certificate[] {cert, certificate});
            try (OutputStream out = Files.newOutputStream(etc.resolve(LinkTls.KEYSTORE))) {
                ks.store(out, password);
            }
            Files.writeString(etc.resolve(LinkTls.PASSWORD_FILE), new String(password));
            Files.writeString(etc.resolve(LinkTls.CA), pem("CERTIFICATE", certificate.getEncoded()));
            return serial;
        }

        /** A revocation list of {@code serials}, signed by {@code signer}'s key, written as etc's CRL file. */
        void revokeInto(Path etc, KeyPair signer, BigInteger... serials) throws Exception {
            X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    notBefore());
            b.setNextUpdate(notAfter());
            for (BigInteger serial : serials) {
                b.addCRLEntry(serial, new Date(), CRLReason.keyCompromise);
            }
            X509CRL crl = new JcaX509CRLConverter().getCRL(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
            Files.writeString(etc.resolve(LinkTls.CRL), pem("X509 CRL", crl.getEncoded()));
        }
    }

    @Test
    void peersOfTheSiteCaMeetAndEachSeesTheOthersId() throws Exception {
        TestCa ca = new TestCa("site");
        ca.issueInto(dir.resolve("node"), "node-a", PeerRole.NODE);
        ca.issueInto(dir.resolve("gateway"), "gateway-1", PeerRole.GATEWAY);
        LinkTls node = LinkTls.load(dir.resolve("node"));
        LinkTls gateway = LinkTls.load(dir.resolve("gateway"));
        assertEquals("node-a", LinkTls.peerId(node.certificate()));
        assertEquals("gateway-1", handshake(node, gateway), "the node sees the gateway's certificate");
    }

    @Test
    void aPeerOfAnotherCaIsRefusedBothWays() throws Exception {
        // both ends may be client and server here, so the CA is the only reason to refuse
        new TestCa("site").issueInto(dir.resolve("node"), "node-a", PeerRole.BOTH);
        new TestCa("elsewhere").issueInto(dir.resolve("stranger"), "node-a", PeerRole.BOTH);
        LinkTls node = LinkTls.load(dir.resolve("node"));
        LinkTls stranger = LinkTls.load(dir.resolve("stranger"));
        assertThrows(IOException.class, () -> handshake(node, stranger), "a client of another CA");
        assertThrows(IOException.class, () -> handshake(stranger, node), "a server of another CA");
    }

    @Test
    void aRevokedPeerIsRefusedWithoutARestartAndAForgedListRefusesEveryone() throws Exception {
        TestCa ca = new TestCa("site");
        ca.issueInto(dir.resolve("node"), "node-a", PeerRole.NODE);
        BigInteger revoked = ca.issueInto(dir.resolve("gateway"), "gateway-1", PeerRole.GATEWAY);
        ca.issueInto(dir.resolve("other"), "gateway-2", PeerRole.GATEWAY);
        LinkTls node = LinkTls.load(dir.resolve("node"));
        LinkTls gateway = LinkTls.load(dir.resolve("gateway"));
        LinkTls other = LinkTls.load(dir.resolve("other"));
        assertEquals("gateway-1", handshake(node, gateway));

        ca.revokeInto(dir.resolve("node"), ca.key, revoked);
        awaitRefused(node, gateway, "the revoked gateway");
        assertEquals("gateway-2", handshake(node, other), "a gateway the list does not name");

        ca.revokeInto(dir.resolve("node"), ecKey());
        awaitRefused(node, other, "a list the CA did not sign fails closed");
    }

    /**
     * What JSSE's PKIX trust manager checks by itself (its EndEntityChecker): a client certificate without
     * clientAuth, or a server certificate without serverAuth, in a present extension. A certificate without
     * the extension it takes for both, so the link checks roles itself.
     */
    @Test
    void jsseAloneRefusesTheWrongUsageButTakesACertificateWithoutTheExtension() throws Exception {
        TestCa ca = new TestCa("site");
        ca.issueInto(dir.resolve("node-a"), "node-a", PeerRole.NODE);
        ca.issueInto(dir.resolve("node-b"), "node-b", PeerRole.NODE);
        ca.issueInto(dir.resolve("gateway-1"), "gateway-1", PeerRole.GATEWAY);
        ca.issueWithUsages(dir.resolve("no-eku"), "no-eku");
        SSLContext nodeA = jsseOnly(ca, LinkTls.load(dir.resolve("node-a")).keyManagers());
        SSLContext nodeB = jsseOnly(ca, LinkTls.load(dir.resolve("node-b")).keyManagers());
        SSLContext gateway = jsseOnly(ca, LinkTls.load(dir.resolve("gateway-1")).keyManagers());
        SSLContext noEku = jsseOnly(ca, LinkTls.load(dir.resolve("no-eku")).keyManagers());
        assertEquals("gateway-1", handshake(nodeA, gateway));
        IOException nodeAsClient = assertThrows(IOException.class, () -> handshake(nodeA, nodeB));
        assertTrue(nodeAsClient.getMessage().contains("Extended key usage does not permit use for TLS client "
                + "authentication"), nodeAsClient.getMessage());
        IOException gatewayAsServer = assertThrows(IOException.class, () -> handshake(gateway, gateway));
        assertTrue(gatewayAsServer.getMessage().contains("Extended key usage does not permit use for TLS server "
                + "authentication"), gatewayAsServer.getMessage());
        assertEquals("no-eku", handshake(nodeA, noEku), "JSSE takes a certificate without the extension as a client");
        assertEquals("no-eku", handshake(noEku, noEku), "and as a server");
    }

    /** The link's trust: a node's certificate never calls, a gateway's never serves, and a role is always explicit. */
    @Test
    void theLinkAcceptsAPeerOnlyInTheRoleItsCertificateNames() throws Exception {
        TestCa ca = new TestCa("site");
        ca.issueInto(dir.resolve("node-a"), "node-a", PeerRole.NODE);
        ca.issueInto(dir.resolve("node-b"), "node-b", PeerRole.NODE);
        ca.issueInto(dir.resolve("gateway-1"), "gateway-1", PeerRole.GATEWAY);
        ca.issueInto(dir.resolve("both"), "both-1", PeerRole.BOTH);
        ca.issueWithUsages(dir.resolve("no-eku"), "no-eku");
        ca.issueWithUsages(dir.resolve("any-eku"), "any-eku", KeyPurposeId.anyExtendedKeyUsage.getId());
        LinkTls nodeA = LinkTls.load(dir.resolve("node-a"));
        LinkTls nodeB = LinkTls.load(dir.resolve("node-b"));
        LinkTls gateway = LinkTls.load(dir.resolve("gateway-1"));
        LinkTls both = LinkTls.load(dir.resolve("both"));
        LinkTls noEku = LinkTls.load(dir.resolve("no-eku"));
        LinkTls anyEku = LinkTls.load(dir.resolve("any-eku"));

        assertEquals("gateway-1", handshake(nodeA, gateway), "the roles as meant");
        assertThrows(IOException.class, () -> handshake(nodeA, nodeB), "a node's certificate calling a node");
        assertThrows(IOException.class, () -> handshake(gateway, gateway), "a gateway's certificate serving");
        for (LinkTls roleless : new LinkTls[] {noEku, anyEku}) {
            String id = peerId(roleless.certificate());
            IOException asClient = assertThrows(IOException.class, () -> handshake(nodeA, roleless), id + " calling");
            assertTrue(asClient.getMessage().contains("'" + id + "' presented a certificate of role none")
                    && asClient.getMessage().contains("it cannot call nodes"), asClient.getMessage());
            IOException asServer = assertThrows(IOException.class, () -> handshake(roleless, gateway), id + " serving");
            assertTrue(asServer.getMessage().contains("it cannot serve the link"), asServer.getMessage());
        }
        assertEquals("both-1", handshake(nodeA, both), "both, when issued so, calls");
        assertEquals("gateway-1", handshake(both, gateway), "and serves");
    }

    /** A context with {@code keys} and JSSE's own PKIX trust in {@code ca} (no check of the link's). */
    private static SSLContext jsseOnly(TestCa ca, KeyManager[] keys) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", ca.certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys, tmf.getTrustManagers(), null);
        return context;
    }

    private static String peerId(X509Certificate certificate) {
        return LinkTls.peerId(certificate);
    }

    @Test
    void missingOrForeignMaterialIsNamedInTheMessage() throws Exception {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> LinkTls.load(dir));
        assertTrue(missing.getMessage().contains(LinkTls.CA) && missing.getMessage().contains("vamt:link-ca-create"),
                missing.getMessage());
        assertFalse(LinkTls.present(dir));

        TestCa ca = new TestCa("site");
        ca.issueInto(dir, "node-a", PeerRole.NODE);
        Files.writeString(dir.resolve(LinkTls.CA), pem("CERTIFICATE", new TestCa("elsewhere").certificate.getEncoded()));
        GeneralSecurityException foreign = assertThrows(GeneralSecurityException.class, () -> LinkTls.load(dir));
        assertTrue(foreign.getMessage().contains("was not issued by the site CA"), foreign.getMessage());

        Files.writeString(dir.resolve(LinkTls.CA), pem("CERTIFICATE", ca.certificate.getEncoded()));
        Files.writeString(dir.resolve(LinkTls.PASSWORD_FILE), "wrong-password");
        IOException wrong = assertThrows(IOException.class, () -> LinkTls.load(dir));
        assertTrue(wrong.getMessage().contains(LinkTls.PASSWORD_FILE), wrong.getMessage());
    }

    /** A TLS 1.3 exchange on loopback: {@code client} connects to {@code server}; the server's view of the client's id. */
    static String handshake(LinkTls server, LinkTls client) throws Exception {
        return handshake(server.sslContext(), server.serverParameters(), client.sslContext(), client.clientParameters());
    }

    /** As above, with contexts of any trust (TLS 1.3, client certificate required). */
    static String handshake(SSLContext server, SSLContext client) throws Exception {
        SSLParameters serverParameters = server.getDefaultSSLParameters();
        serverParameters.setProtocols(new String[] {"TLSv1.3"});
        serverParameters.setNeedClientAuth(true);
        SSLParameters clientParameters = client.getDefaultSSLParameters();
        clientParameters.setProtocols(new String[] {"TLSv1.3"});
        return handshake(server, serverParameters, client, clientParameters);
    }

    private static String handshake(SSLContext server, SSLParameters serverParameters, SSLContext client,
            SSLParameters clientParameters) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSSLParameters(serverParameters);
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(5_000);
                    s.startHandshake();
                    String id = LinkTls.peerId((X509Certificate) s.getSession().getPeerCertificates()[0]);
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    return id;
                } catch (IOException e) {
                    return "refused: " + e;
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                s.setSoTimeout(5_000);
                s.setSSLParameters(clientParameters);
                s.startHandshake();
                // TLS 1.3 tells a client of a refused certificate only when it reads
                InputStream in = s.getInputStream();
                if (in.read() != 1) {
                    throw new IOException("the server closed the connection: " + seen.get(5, TimeUnit.SECONDS));
                }
            } catch (IOException refused) {
                // says why, whichever end refused (the socket is closed here, so the server's side has ended)
                throw new IOException(refused.getMessage() + " (the server: " + seen.get(10, TimeUnit.SECONDS) + ")",
                        refused);
            }
            return seen.get(5, TimeUnit.SECONDS);
        }
    }

    /** The trust manager looks at the list's file at most once a second: the refusal comes within a few. */
    private static void awaitRefused(LinkTls server, LinkTls client, String what) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                handshake(server, client);
            } catch (IOException refused) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": still accepted 5 s after the revocation list changed");
            }
            Thread.sleep(100);   // between attempts, not a wait in place of the condition
        }
    }

    static KeyPair ecKey() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofDays(1)));
    }

    static Date notAfter() {
        return Date.from(Instant.now().plus(Duration.ofDays(365)));
    }

    static X509Certificate convert(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
