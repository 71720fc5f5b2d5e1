package org.vamt.remote.internal.link;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.vamt.security.files.DurableFiles;

/**
 * The writing side of the link's PKI, on the files of one peer's {@code ${karaf.etc}}: creates the
 * site CA, issues and revokes peer certificates, signs the CRL, installs a peer's own identity (from
 * this CA or from an operator's own PKI) and a CRL. {@link LinkTls} reads what this writes.
 *
 * <p>Every file goes through {@link DurableFiles} (atomic, owner-only); keystore passwords are random
 * and kept in owner-only password files beside their keystore, as vamt-tls keeps {@code vamt-tls.p12}'s.
 * Mistakes an operator can fix (an unknown peer, a wrong password, a CA that already exists) are
 * {@link IllegalArgumentException} or {@link IllegalStateException} with a one-line message.
 */
public final class SitePki {
    // the files every peer holds are LinkTls's; these are the CA peer's alone
    private static final String KEYSTORE = LinkTls.KEYSTORE;
    private static final String KEYSTORE_PASSWORD = LinkTls.PASSWORD_FILE;
    private static final String CA_PEM = LinkTls.CA;
    private static final String CRL = LinkTls.CRL;
    private static final String ALIAS = LinkTls.ALIAS;
    public static final String CA_KEYSTORE = "vamt-link-ca.p12";
    public static final String CA_KEYSTORE_PASSWORD = "vamt-link-ca.password";
    /** On the CA peer: every certificate it issued, so list and revoke work after a restart. */
    public static final String CA_INDEX = "vamt-link-ca.index";
    public static final String CA_ALIAS = "vamt-link-ca";
    public static final String ORGANIZATION = "vAMT link";
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3653);
    public static final Duration DEFAULT_PEER_VALIDITY = Duration.ofDays(730);
    /** A peer id is its certificate's CN and DNS name: a DNS label set, so every TLS stack parses it. */
    private static final Pattern PEER_ID = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62})");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Writers of the link files, across SitePki instances: each shell command makes its own. */
    private static final Object WRITERS = new Object();

    private final Path etc;

    public SitePki(Path etc) {
        this.etc = etc;
    }

    public Path etc() {
        return etc;
    }

    /** A peer certificate just issued: its private key (never written in clear) and chain (it, then the CA). */
    public record Issued(String id, PrivateKey key, List<X509Certificate> chain) {
        public X509Certificate certificate() {
            return chain.get(0);
        }
    }

    /** One line of the CA's index. */
    public record IssuedRecord(BigInteger serial, String id, PeerRole role, Instant notBefore, Instant notAfter,
            Instant revokedAt, String sha256) {
        public String status(Instant now) {
            return revokedAt != null ? "revoked" : now.isAfter(notAfter) ? "expired" : "valid";
        }

        public String serialHex() {
            return SitePki.hex(serial);
        }
    }

    // ------------------------------------------------------------------ the CA

    public boolean holdsCa() {
        return Files.exists(etc.resolve(CA_KEYSTORE));
    }

    /**
     * Creates the site CA on this peer: its key and certificate in {@code vamt-link-ca.p12}, this peer's
     * trust anchor {@code vamt-link-ca.pem}, an empty signed CRL and an empty index. Refuses when this
     * peer already holds a CA or already trusts one (a peer belongs to one site).
     */
    public X509Certificate createCa(String name, Duration validity)
            throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            if (holdsCa()) {
                throw new IllegalStateException("this peer already holds the link CA (" + etc.resolve(CA_KEYSTORE)
                        + "); it is never overwritten");
            }
            if (Files.exists(etc.resolve(CA_PEM))) {
                throw new IllegalStateException("this peer already trusts a link CA (" + etc.resolve(CA_PEM) + ", "
                        + subject(readCaPem(etc.resolve(CA_PEM))) + "); remove it first to start a new PKI here");
            }
            requirePositive(validity);
            KeyPair pair = ecKeyPair();
            Instant now = Instant.now();
            X500Name subject = name(name);
            X509Certificate ca;
            try {
                JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject,
                        pair.getPublic());
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
                ca = toX509(b.build(signer(pair.getPrivate())));
            } catch (OperatorCreationException e) {
                throw new GeneralSecurityException("cannot build the CA certificate", e);
            }
            writeKeystore(etc.resolve(CA_KEYSTORE), etc.resolve(CA_KEYSTORE_PASSWORD), CA_ALIAS, pair.getPrivate(),
                    List.of(ca));
            writeIndex(new Index(BigInteger.ZERO, List.of()));
            DurableFiles.replace(etc.resolve(CA_PEM), pem("CERTIFICATE", ca.getEncoded()));
            writeCrl(pair.getPrivate(), ca, readIndex());
            return ca;
        }
    }

    /** The CA's certificate on the CA peer. */
    public X509Certificate caCertificate() throws IOException, GeneralSecurityException {
        return (X509Certificate) caKeystore().getCertificate(CA_ALIAS);
    }

    /**
     * Issues a certificate for peer {@code id} (CN and DNS name {@code id}, plus {@code ips}) in {@code role}
     * (its extended key usage), records it in the index and returns it with its new key. Another valid
     * certificate of the same peer stays valid (renewal: revoke the old one once the new one is installed).
     */
    public Issued issue(String id, PeerRole role, List<InetAddress> ips, Duration validity)
            throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            requirePeerId(id);
            if (role == null) {
                throw new IllegalArgumentException("give the role of " + id + ": node, gateway or both");
            }
            requirePositive(validity);
            KeyStore caStore = caKeystore();
            char[] caPassword = readPassword(etc.resolve(CA_KEYSTORE_PASSWORD));
            PrivateKey caKey = (PrivateKey) caStore.getKey(CA_ALIAS, caPassword);
            X509Certificate ca = (X509Certificate) caStore.getCertificate(CA_ALIAS);
            Arrays.fill(caPassword, '\0');
            Instant now = Instant.now();
            Instant notAfter = now.plus(validity);
            if (notAfter.isAfter(ca.getNotAfter().toInstant())) {
                throw new IllegalArgumentException("the link CA expires on " + ca.getNotAfter().toInstant()
                        + ", before the " + validity.toDays() + " days asked for; issue a shorter certificate");
            }
            KeyPair pair = ecKeyPair();
            BigInteger serial = serial();
            X509Certificate cert;
            try {
                X500Name subject = name(id);
                JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial,
                        Date.from(now.minus(Duration.ofHours(1))), Date.from(notAfter), subject, pair.getPublic());
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                // the role: a node's certificate serves (serverAuth) and cannot call other nodes, a gateway's
                // calls (clientAuth) and cannot pose as a node
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(role.purposes().stream()
                        .map(oid -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid)))
                        .toArray(KeyPurposeId[]::new)));
                List<GeneralName> names = new ArrayList<>();
                names.add(new GeneralName(GeneralName.dNSName, id));
                for (InetAddress ip : ips) {
                    names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
                }
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
                b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
                cert = toX509(b.build(signer(caKey)));
            } catch (OperatorCreationException e) {
                throw new GeneralSecurityException("cannot build the certificate of " + id, e);
            }
            Index index = readIndex();
            List<IssuedRecord> records = new ArrayList<>(index.records());
            records.add(new IssuedRecord(serial, id, role, cert.getNotBefore().toInstant(), notAfter.truncatedTo(
                    java.time.temporal.ChronoUnit.SECONDS), null, sha256(cert)));
            writeIndex(new Index(index.crlNumber(), records));
            return new Issued(id, pair.getPrivate(), List.of(cert, ca));
        }
    }

    /** Every certificate this CA issued, oldest first. */
    public List<IssuedRecord> issued() throws IOException {
        if (!holdsCa()) {
            throw notCa();
        }
        return readIndex().records();
    }

    /**
     * Revokes the certificate with serial {@code idOrSerial}, or every valid certificate of peer
     * {@code idOrSerial}, and writes a new signed {@code vamt-link.crl} here.
     *
     * @return the certificates revoked now
     */
    public List<IssuedRecord> revoke(String idOrSerial) throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            if (!holdsCa()) {
                throw notCa();
            }
            Index index = readIndex();
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            BigInteger serial = parseSerial(idOrSerial);
            List<IssuedRecord> matching = index.records().stream()
                    .filter(r -> r.id().equals(idOrSerial) || r.serial().equals(serial)).toList();
            if (matching.isEmpty()) {
                throw new IllegalArgumentException("no certificate issued to a peer or with a serial '" + idOrSerial + "'");
            }
            List<IssuedRecord> revokedNow = matching.stream().filter(r -> r.revokedAt() == null).toList();
            if (revokedNow.isEmpty()) {
                throw new IllegalArgumentException("every certificate of '" + idOrSerial + "' is already revoked");
            }
            List<IssuedRecord> records = new ArrayList<>();
            for (IssuedRecord r : index.records()) {
                records.add(revokedNow.contains(r)
                        ? new IssuedRecord(r.serial(), r.id(), r.role(), r.notBefore(), r.notAfter(), now, r.sha256()) : r);
            }
            Index next = new Index(index.crlNumber(), records);
            writeIndex(next);
            KeyStore caStore = caKeystore();
            char[] caPassword = readPassword(etc.resolve(CA_KEYSTORE_PASSWORD));
            PrivateKey caKey = (PrivateKey) caStore.getKey(CA_ALIAS, caPassword);
            Arrays.fill(caPassword, '\0');
            writeCrl(caKey, (X509Certificate) caStore.getCertificate(CA_ALIAS), next);
            return revokedNow;
        }
    }

    /** Signs a CRL of every revoked certificate with the next CRL number and writes it to vamt-link.crl. */
    private void writeCrl(PrivateKey caKey, X509Certificate ca, Index index) throws IOException,
            GeneralSecurityException {
        BigInteger number = index.crlNumber().add(BigInteger.ONE);
        Instant now = Instant.now();
        // nextUpdate at the CA's end: nothing re-signs the CRL on a schedule, and a CRL past its nextUpdate
        // would make every peer refuse every certificate. A new CRL (higher number) replaces it on each revocation.
        JcaX509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca, Date.from(now.minus(Duration.ofMinutes(5))));
        b.setNextUpdate(ca.getNotAfter());
        try {
            for (IssuedRecord r : index.records()) {
                if (r.revokedAt() != null) {
                    b.addCRLEntry(r.serial(), Date.from(r.revokedAt()), CRLReason.unspecified);
                }
            }
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
            X509CRLHolder holder = b.build(signer(caKey));
            writeIndex(new Index(number, index.records()));
            DurableFiles.replace(etc.resolve(CRL), pem("X509 CRL", holder.getEncoded()));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the CRL", e);
        }
    }

    // ------------------------------------------------------------------ bundles and installation

    /**
     * Writes {@code issued} as a PKCS12 bundle (key entry {@code vamt-link}: key, certificate, CA) protected
     * by {@code password}, for the operator to carry to the peer. Refuses to overwrite a file.
     */
    public static void writeBundle(Path file, Issued issued, char[] password) throws IOException,
            GeneralSecurityException {
        if (Files.exists(file)) {
            throw new IllegalStateException(file + " already exists; remove it or choose another file");
        }
        DurableFiles.replace(file, keystoreBytes(ALIAS, issued.key(), issued.chain(), password));
    }

    /** What {@link #install} installed. */
    public record Installed(X509Certificate certificate, X509Certificate ca, boolean trustAnchorChanged) {
    }

    /**
     * Installs a PKCS12 bundle as this peer's link identity: the bundle's only key entry (or the one named
     * {@code vamt-link}), trusted through {@code caPem} when given, otherwise through the self-signed CA
     * certificate that ends the bundle's chain (a bundle of {@code vamt:link-cert-issue} carries it).
     */
    public Installed install(Path bundle, char[] password, Path caPem)
            throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(bundle)) {
                ks.load(in, password);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no file " + bundle);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot open " + bundle + ": wrong password, or not a PKCS12 file");
            }
            List<String> keys = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    keys.add(alias);
                }
            }
            String alias = keys.contains(ALIAS) ? ALIAS : keys.size() == 1 ? keys.get(0) : null;
            if (alias == null) {
                throw new IllegalArgumentException(bundle + " holds " + (keys.isEmpty() ? "no key" : "the keys " + keys
                        + " and none named '" + ALIAS + "'") + "; a link bundle holds one key and its chain");
            }
            PrivateKey key;
            try {
                key = (PrivateKey) ks.getKey(alias, password);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot read the key in " + bundle + ": it has another password");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : ks.getCertificateChain(alias)) {
                chain.add((X509Certificate) c);
            }
            X509Certificate ca;
            if (caPem != null) {
                ca = readCaPem(caPem);
            } else {
                X509Certificate last = chain.get(chain.size() - 1);
                if (chain.size() < 2 || !selfSigned(last)) {
                    throw new IllegalArgumentException("the chain in " + bundle + " does not end with its CA ("
                            + subject(last) + " is issued by " + last.getIssuerX500Principal().getName()
                            + "); give the CA certificate with --ca <file.pem>");
                }
                ca = last;
            }
            return install(key, chain, ca);
        }
    }

    /** Installs {@code key} and {@code chain} (leaf first) as this peer's identity and {@code ca} as the link's trust anchor. */
    public Installed install(PrivateKey key, List<X509Certificate> chain, X509Certificate ca)
            throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            X509Certificate leaf = chain.get(0);
            requireKeyMatches(key, leaf);
            List<X509Certificate> path = new ArrayList<>(chain);
            while (!path.isEmpty() && (selfSigned(path.get(path.size() - 1)) || path.get(path.size() - 1).equals(ca))) {
                path.remove(path.size() - 1);   // the trust anchor is not part of the path PKIX checks
            }
            if (path.isEmpty()) {
                throw new IllegalArgumentException("the bundle's certificate is self-signed; the link needs one issued by a CA");
            }
            requireValidPath(path, ca);
            if (path.size() > 1 || !LinkTls.signedBy(leaf, ca)) {
                // the link's trust anchor is the CA that signs the peers: LinkTls accepts no intermediate
                throw new IllegalArgumentException("the certificate " + subject(leaf) + " is issued by "
                        + leaf.getIssuerX500Principal().getName() + ", not directly by " + subject(ca)
                        + "; give the issuing CA's certificate with --ca");
            }
            requireRole(leaf);
            X509Certificate current = Files.exists(etc.resolve(CA_PEM)) ? readCaPem(etc.resolve(CA_PEM)) : null;
            if (holdsCa() && !caCertificate().equals(ca)) {
                throw new IllegalArgumentException("this peer holds the link CA " + subject(caCertificate())
                        + "; a certificate of another CA (" + subject(ca) + ") would leave it out of its own site");
            }
            List<X509Certificate> stored = new ArrayList<>(path);
            stored.add(ca);
            writeKeystore(etc.resolve(KEYSTORE), etc.resolve(KEYSTORE_PASSWORD), ALIAS, key, stored);
            boolean changed = current != null && !current.equals(ca);
            DurableFiles.replace(etc.resolve(CA_PEM), pem("CERTIFICATE", ca.getEncoded()));
            if (changed && Files.exists(etc.resolve(CRL))) {
                Files.delete(etc.resolve(CRL));   // the old CA's CRL cannot be checked against the new anchor
            }
            return new Installed(leaf, ca, changed);
        }
    }

    /** This peer's own link certificate, when it has one. */
    public Optional<X509Certificate> ownCertificate() throws IOException, GeneralSecurityException {
        Path file = etc.resolve(KEYSTORE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        char[] password = readPassword(etc.resolve(KEYSTORE_PASSWORD));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        return Optional.ofNullable((X509Certificate) ks.getCertificate(ALIAS));
    }

    /** The CRL installed here, if any. */
    public Optional<X509CRL> installedCrl() throws IOException, GeneralSecurityException {
        Path file = etc.resolve(CRL);
        return Files.exists(file) ? Optional.of(readCrl(file)) : Optional.empty();
    }

    /**
     * Installs a CRL copied from the CA peer: accepted only when signed by this peer's link CA and not
     * older than the one installed (so an old copy cannot bring a revoked certificate back).
     */
    public X509CRL installCrl(Path file) throws IOException, GeneralSecurityException {
        synchronized (WRITERS) {
            Path anchor = etc.resolve(CA_PEM);
            if (!Files.exists(anchor)) {
                throw new IllegalStateException("this peer has no link CA yet (" + anchor + "); install its certificate first");
            }
            X509CRL crl;
            try {
                crl = readCrl(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no file " + file);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalArgumentException(file + " is not a PEM or DER X.509 CRL");
            }
            X509Certificate ca = readCaPem(anchor);
            try {
                crl.verify(ca.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(file + " is not signed by this peer's link CA (" + subject(ca) + ")");
            }
            Optional<X509CRL> current = installedCrl();
            if (current.isPresent() && crlNumber(crl).compareTo(crlNumber(current.get())) < 0) {
                throw new IllegalArgumentException(file + " is CRL number " + crlNumber(crl) + ", older than the installed "
                        + crlNumber(current.get()));
            }
            DurableFiles.replace(etc.resolve(CRL), pem("X509 CRL", crl.getEncoded()));
            return crl;
        }
    }

    public static BigInteger crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (ext == null) {
            return BigInteger.ZERO;
        }
        try {
            ASN1Primitive inner = ASN1Primitive.fromByteArray(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
            return ASN1Integer.getInstance(inner).getValue();
        } catch (IOException | IllegalArgumentException e) {
            return BigInteger.ZERO;
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A random password for a keystore or a bundle: 24 random bytes, base64url. */
    public static char[] newPassword() {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
    }

    public static String sha256(X509Certificate cert) throws GeneralSecurityException {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(
                MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }

    public static String hex(BigInteger serial) {
        return serial.toString(16).toUpperCase(Locale.ROOT);
    }

    public static String subject(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName();
    }

    public static X509Certificate readCaPem(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no file " + file);
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException(file + " is not a PEM or DER X.509 certificate");
        }
    }

    private static X509CRL readCrl(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
    }

    private static void requirePeerId(String id) {
        if (id == null || !PEER_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("'" + id + "' is not a peer id: 1-63 letters, digits, '.' or '-', "
                    + "starting with a letter or digit (the node's vamt.node.id or the gateway's name)");
        }
    }

    private static void requirePositive(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("the validity must be at least one day");
        }
    }

    private static void requireKeyMatches(PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA"
                : "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : null;
        if (algorithm == null) {
            throw new IllegalArgumentException("the bundle's key is " + key.getAlgorithm() + "; the link takes EC or RSA keys");
        }
        byte[] probe = new byte[32];
        RANDOM.nextBytes(probe);
        Signature sign = Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        Signature verify = Signature.getInstance(algorithm);
        try {
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            if (verify.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException mismatch) {
            // a key of another type than the certificate's: reported below
        }
        throw new IllegalArgumentException("the bundle's key does not belong to its certificate " + subject(cert));
    }

    private static void requireValidPath(List<X509Certificate> path, X509Certificate ca) throws GeneralSecurityException {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);   // the CRL is the CA peer's business; install needs a valid chain
        try {
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            throw new IllegalArgumentException("the certificate " + subject(path.get(0)) + " is not valid under the CA "
                    + subject(ca) + ": " + e.getMessage());
        }
    }

    /**
     * The certificate must name its link role in its extended key usage, and fit what this peer is.
     * Checked at install, so a wrong certificate is refused here and not by every other peer at each handshake.
     */
    private void requireRole(X509Certificate leaf) throws GeneralSecurityException {
        Optional<PeerRole> role = PeerRole.of(leaf);
        if (role.isEmpty()) {
            throw new IllegalArgumentException("the certificate " + subject(leaf) + " names no link role in its extended "
                    + "key usage: a node's needs serverAuth, a gateway's clientAuth (both only for a host that is both)");
        }
        requireFitsThisPeer(role.get(), subject(leaf));
    }

    /**
     * Refuses a certificate of {@code role} (named {@code what}) when this peer needs another: a node
     * serverAuth, a gateway clientAuth, from the configuration its features installed ({@link PeerRole#ofPeer}).
     */
    public void requireFitsThisPeer(PeerRole role, String what) {
        Optional<PeerRole> needed = PeerRole.ofPeer(etc);
        if (needed.isPresent() && !role.covers(needed.get())) {
            throw new IllegalArgumentException("this peer is " + (needed.get() == PeerRole.BOTH ? "a node and a gateway"
                    : "a " + needed.get().label()) + " (" + configOf(needed.get()) + "), its certificate needs extended "
                    + "key usage " + needed.get().usages() + "; " + what + " is of role " + role.label() + " ("
                    + role.usages() + "): issue it with --role " + needed.get().label());
        }
    }

    private String configOf(PeerRole role) {
        return switch (role) {
            case NODE -> etc.resolve(PeerRole.NODE_CONFIG).toString();
            case GATEWAY -> etc.resolve(PeerRole.GATEWAY_CONFIG).toString();
            case BOTH -> etc.resolve(PeerRole.NODE_CONFIG) + " and " + etc.resolve(PeerRole.GATEWAY_CONFIG);
        };
    }

    private static boolean selfSigned(X509Certificate cert) {
        if (!cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(cert.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private IllegalStateException notCa() {
        return new IllegalStateException("this peer does not hold the link CA (no " + etc.resolve(CA_KEYSTORE)
                + "); run this on the peer where vamt:link-ca-create ran");
    }

    private KeyStore caKeystore() throws IOException, GeneralSecurityException {
        if (!holdsCa()) {
            throw notCa();
        }
        char[] password = readPassword(etc.resolve(CA_KEYSTORE_PASSWORD));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(etc.resolve(CA_KEYSTORE))) {
            ks.load(in, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        return ks;
    }

    private static char[] readPassword(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalStateException("the password file " + file + " is missing");
        }
        return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
    }

    /**
     * Writes a keystore under the random password kept in {@code passwordFile}: the one already there (a
     * renewal then replaces a single file, atomically, and a crash leaves the old identity or the new one),
     * or a new one, written before the keystore exists.
     */
    private static void writeKeystore(Path file, Path passwordFile, String alias, PrivateKey key,
            List<X509Certificate> chain) throws IOException, GeneralSecurityException {
        char[] password;
        if (Files.exists(passwordFile) && !Files.readString(passwordFile, StandardCharsets.UTF_8).isBlank()) {
            password = readPassword(passwordFile);
        } else {
            password = newPassword();
            DurableFiles.replace(passwordFile, (new String(password) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        try {
            DurableFiles.replace(file, keystoreBytes(alias, key, chain, password));
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static byte[] keystoreBytes(String alias, PrivateKey key, List<X509Certificate> chain, char[] password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, key, password, chain.toArray(Certificate[]::new));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ks.store(out, password);
        return out.toByteArray();
    }

    private static KeyPair ecKeyPair() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return gen.generateKeyPair();
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    /** Random 128-bit serial (RFC 5280: positive, at most 20 octets; unpredictable). */
    private static BigInteger serial() {
        BigInteger s;
        do {
            s = new BigInteger(128, RANDOM);
        } while (s.signum() == 0);
        return s;
    }

    /** {@code CN=<cn>, O=vAMT link} as Java prints it: the organization first in the encoding, as usual. */
    private static X500Name name(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANIZATION).addRDN(BCStyle.CN, cn).build();
    }

    private static X509Certificate toX509(X509CertificateHolder holder) throws IOException, GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static BigInteger parseSerial(String text) {
        try {
            return new BigInteger(text.replace(":", ""), 16);
        } catch (NumberFormatException e) {
            return BigInteger.valueOf(-1);
        }
    }

    // ------------------------------------------------------------------ the index (CA peer)

    /** The CA's index: the number of the last CRL signed, and every issued certificate. */
    private record Index(BigInteger crlNumber, List<IssuedRecord> records) {
    }

    private static final String INDEX_HEADER = "# vAMT link CA: issued certificates. serial peer-id not-before not-after "
            + "revoked-at|- sha-256 role (written by vamt:link-* commands; do not edit)";

    private Index readIndex() throws IOException {
        Path file = etc.resolve(CA_INDEX);
        if (!Files.exists(file)) {
            return new Index(BigInteger.ZERO, List.of());
        }
        BigInteger crlNumber = BigInteger.ZERO;
        List<IssuedRecord> records = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.strip().split("\\s+");
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            try {
                if (f[0].equals("crl-number") && f.length == 2) {
                    crlNumber = new BigInteger(f[1]);
                } else if (f.length == 6 || f.length == 7) {
                    // a line without a role is from before roles, when every certificate was issued for both
                    records.add(new IssuedRecord(new BigInteger(f[0], 16), f[1],
                            f.length == 7 ? PeerRole.parse(f[6]) : PeerRole.BOTH, Instant.parse(f[2]),
                            Instant.parse(f[3]), f[4].equals("-") ? null : Instant.parse(f[4]), f[5]));
                } else {
                    throw new IOException("bad line in " + file + ": " + line);
                }
            } catch (RuntimeException e) {
                throw new IOException("bad line in " + file + ": " + line);
            }
        }
        return new Index(crlNumber, List.copyOf(records));
    }

    private void writeIndex(Index index) throws IOException {
        StringBuilder out = new StringBuilder(INDEX_HEADER).append('\n');
        out.append("crl-number ").append(index.crlNumber()).append('\n');
        for (IssuedRecord r : index.records()) {
            out.append(r.serialHex()).append(' ').append(r.id()).append(' ').append(r.notBefore()).append(' ')
                    .append(r.notAfter()).append(' ').append(r.revokedAt() == null ? "-" : r.revokedAt().toString())
                    .append(' ').append(r.sha256()).append(' ').append(r.role().label()).append('\n');
        }
        DurableFiles.replace(etc.resolve(CA_INDEX), out.toString().getBytes(StandardCharsets.UTF_8));
    }
}
