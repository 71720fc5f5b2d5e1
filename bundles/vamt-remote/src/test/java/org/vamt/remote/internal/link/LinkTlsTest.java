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
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
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

        /** Writes a peer identity for {@code id} into {@code etc}, in the link's file contract; returns its serial. */
        BigInteger issueInto(Path etc, String id) throws Exception {
            Files.createDirectories(etc);
            KeyPair peer = ecKey();
            BigInteger serial = new BigInteger(127, new java.security.SecureRandom()).add(BigInteger.TWO);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial, notBefore(), notAfter(),
                    new X500Name("CN=" + id + ", O=vAMT link"), peer.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
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
        ca.issueInto(dir.resolve("node"), "node-a");
        ca.issueInto(dir.resolve("gateway"), "gateway-1");
        LinkTls node = LinkTls.load(dir.resolve("node"));
        LinkTls gateway = LinkTls.load(dir.resolve("gateway"));
        assertEquals("node-a", LinkTls.peerId(node.certificate()));
        assertEquals("gateway-1", handshake(node, gateway), "the node sees the gateway's certificate");
    }

    @Test
    void aPeerOfAnotherCaIsRefusedBothWays() throws Exception {
        new TestCa("site").issueInto(dir.resolve("node"), "node-a");
        new TestCa("elsewhere").issueInto(dir.resolve("stranger"), "node-a");
        LinkTls node = LinkTls.load(dir.resolve("node"));
        LinkTls stranger = LinkTls.load(dir.resolve("stranger"));
        assertThrows(IOException.class, () -> handshake(node, stranger), "a client of another CA");
        assertThrows(IOException.class, () -> handshake(stranger, node), "a server of another CA");
    }

    @Test
    void aRevokedPeerIsRefusedWithoutARestartAndAForgedListRefusesEveryone() throws Exception {
        TestCa ca = new TestCa("site");
        ca.issueInto(dir.resolve("node"), "node-a");
        BigInteger revoked = ca.issueInto(dir.resolve("gateway"), "gateway-1");
        ca.issueInto(dir.resolve("other"), "gateway-2");
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

    @Test
    void missingOrForeignMaterialIsNamedInTheMessage() throws Exception {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> LinkTls.load(dir));
        assertTrue(missing.getMessage().contains(LinkTls.CA) && missing.getMessage().contains("vamt:link-ca-create"),
                missing.getMessage());
        assertFalse(LinkTls.present(dir));

        TestCa ca = new TestCa("site");
        ca.issueInto(dir, "node-a");
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
        try (SSLServerSocket listener = (SSLServerSocket) server.sslContext().getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSSLParameters(server.serverParameters());
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
            try (SSLSocket s = (SSLSocket) client.sslContext().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                s.setSoTimeout(5_000);
                s.setSSLParameters(client.clientParameters());
                s.startHandshake();
                // TLS 1.3 tells a client of a refused certificate only when it reads
                InputStream in = s.getInputStream();
                if (in.read() != 1) {
                    throw new IOException("the server closed the connection: " + seen.get(5, TimeUnit.SECONDS));
                }
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
