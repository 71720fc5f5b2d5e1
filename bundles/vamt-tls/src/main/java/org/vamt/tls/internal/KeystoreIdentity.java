package org.vamt.tls.internal;

import org.vamt.security.files.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.vamt.tls.TlsIdentity;

/** A {@link TlsIdentity} read from one key entry of a PKCS12 keystore, generated there when absent. */
final class KeystoreIdentity implements TlsIdentity {
    static final String SUBJECT = "CN=vAMT, O=vAMT";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<X509Certificate> chain;
    private final KeyManager[] keyManagers;
    private final SSLContext sslContext;
    private final List<String> protocols;
    private final List<String> cipherSuites;
    private final String fingerprint;

    private KeystoreIdentity(PrivateKey key, List<X509Certificate> chain) throws GeneralSecurityException {
        this.chain = List.copyOf(chain);
        // Only this entry goes into the key manager, so an operator's keystore holding several
        // keys still presents exactly the configured one.
        KeyStore single = KeyStore.getInstance("PKCS12");
        try {
            single.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        char[] transientPassword = new char[0];
        single.setKeyEntry("vamt", key, transientPassword, chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(single, transientPassword);
        this.keyManagers = kmf.getKeyManagers();
        this.sslContext = SSLContext.getInstance("TLS");
        sslContext.init(keyManagers, null, null);
        this.protocols = TlsPolicy.protocols(sslContext);
        this.cipherSuites = TlsPolicy.negotiable(sslContext);
        this.fingerprint = HexFormat.of().withUpperCase().formatHex(
                MessageDigest.getInstance("SHA-1").digest(chain.get(0).getEncoded()));
    }

    /**
     * Loads {@code alias} from {@code keystore}; when the file does not exist, generates an
     * RSA-2048 key and a self-signed certificate and writes them there (owner-only), so the
     * certificate stays the same across restarts.
     *
     * @return the identity, and whether it was generated now
     */
    static KeystoreIdentity openOrCreate(Path keystore, char[] password, String alias)
            throws IOException, GeneralSecurityException {
        if (!Files.exists(keystore)) {
            create(keystore, password, alias);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        if (!ks.isKeyEntry(alias)) {
            throw new GeneralSecurityException(keystore + " has no key entry named '" + alias + "' (entries: "
                    + java.util.Collections.list(ks.aliases()) + ")");
        }
        PrivateKey key = (PrivateKey) ks.getKey(alias, password);
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : ks.getCertificateChain(alias)) {
            chain.add((X509Certificate) c);
        }
        if (!"RSA".equals(chain.get(0).getPublicKey().getAlgorithm())) {
            // MeshCentral's TLS 1.2 suites are static-RSA: an EC certificate would lock it out.
            throw new GeneralSecurityException("the certificate '" + alias + "' in " + keystore + " has a "
                    + chain.get(0).getPublicKey().getAlgorithm() + " key; vAMT needs RSA");
        }
        return new KeystoreIdentity(key, chain);
    }

    private static void create(Path keystore, char[] password, String alias) throws IOException,
            GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048, RANDOM);
        KeyPair pair = gen.generateKeyPair();
        X509Certificate cert = selfSigned(pair);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, pair.getPrivate(), password, new Certificate[] {cert});
        DurableFiles.replace(keystore, out -> {
            try {
                ks.store(out, password);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot write the keystore " + keystore, e);
            }
        });
    }

    static X509Certificate selfSigned(KeyPair pair) throws GeneralSecurityException {
        Instant now = Instant.now();
        X500Name subject = new X500Name(SUBJECT);
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(63, RANDOM).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(20 * 365))),
                    subject, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            // keyEncipherment: static-RSA suites encrypt the premaster secret to this key.
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withRSA")
                    .build(pair.getPrivate()));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(holder.getEncoded()));
        } catch (OperatorCreationException | IOException e) {
            throw new GeneralSecurityException("cannot build the self-signed certificate", e);
        }
    }

    @Override
    public List<X509Certificate> certificateChain() {
        return chain;
    }

    @Override
    public KeyManager[] keyManagers() {
        return keyManagers.clone();
    }

    @Override
    public SSLContext sslContext() {
        return sslContext;
    }

    @Override
    public List<String> protocols() {
        return protocols;
    }

    @Override
    public List<String> cipherSuites() {
        return cipherSuites;
    }

    @Override
    public String sha1Fingerprint() {
        return fingerprint;
    }
}
