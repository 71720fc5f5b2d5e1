package org.vamt.remote.internal;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A site CA for tests, issuing link certificates as the contract of issue 24 describes them (EC
 * P-256, CN=id, O=vAMT link, serverAuth + clientAuth, SAN DNS=id), and the SSLContexts or the
 * {@code etc} files (vamt-link.p12, vamt-link.password, vamt-link-ca.pem) made of them.
 */
final class LinkPki {
    static final String PASSWORD = "link-test-password";

    final KeyPair caKey;
    final X509Certificate ca;

    record Peer(KeyPair key, X509Certificate certificate, X509Certificate ca) {
    }

    LinkPki(String name) throws Exception {
        caKey = ecKey();
        X500Name subject = new X500Name("CN=" + name + ", O=vAMT link");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, notBefore(),
                notAfter(), subject, caKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = sign(b, caKey);
    }

    Peer issue(String id) throws Exception {
        KeyPair key = ecKey();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), BigInteger.valueOf(System.nanoTime()),
                notBefore(), notAfter(), new X500Name("CN=" + id + ", O=vAMT link"), key.getPublic());
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, id), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new Peer(key, sign(b, caKey), ca);
    }

    /** Key managers of {@code peer}, trust managers of this CA only. */
    SSLContext context(Peer peer) throws Exception {
        return context(peer, ca);
    }

    /** Key managers of {@code peer}, trust managers of {@code trusted} only. */
    static SSLContext context(Peer peer, X509Certificate trusted) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("vamt-link", peer.key().getPrivate(), PASSWORD.toCharArray(),
                new Certificate[] {peer.certificate(), peer.ca()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD.toCharArray());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("vamt-link-ca", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    /** The link TLS files of {@code peer} in {@code etc}, as the site PKI writes them. */
    void writeTo(Path etc, Peer peer) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("vamt-link", peer.key().getPrivate(), PASSWORD.toCharArray(),
                new Certificate[] {peer.certificate(), peer.ca()});
        try (OutputStream out = Files.newOutputStream(etc.resolve("vamt-link.p12"))) {
            keys.store(out, PASSWORD.toCharArray());
        }
        Files.writeString(etc.resolve("vamt-link.password"), PASSWORD);
        Files.writeString(etc.resolve("vamt-link-ca.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ca.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static Date notBefore() {
        return new Date(System.currentTimeMillis() - 60_000);
    }

    private static Date notAfter() {
        return new Date(System.currentTimeMillis() + 86_400_000L);
    }
}
