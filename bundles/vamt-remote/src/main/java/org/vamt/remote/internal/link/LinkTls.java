package org.vamt.remote.internal.link;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS material of this peer's node-gateway link, read from {@code ${karaf.etc}}: its own key
 * and certificate ({@value #KEYSTORE}, password in {@value #PASSWORD_FILE}), the site CA that is
 * the link's only trust anchor ({@value #CA}), and the CA's optional revocation list ({@value #CRL}).
 * One context serves both ends: a peer is accepted only with a certificate chain to the site CA that
 * the list does not revoke, and only in the role its certificate names ({@link PeerRole}): a client
 * must be a gateway (clientAuth), a server a node (serverAuth). The list is read again when its file
 * changes, so a revocation takes effect on the next handshake without a restart.
 */
public final class LinkTls {
    public static final String KEYSTORE = "vamt-link.p12";
    public static final String PASSWORD_FILE = "vamt-link.password";
    public static final String ALIAS = "vamt-link";
    public static final String CA = "vamt-link-ca.pem";
    public static final String CRL = "vamt-link.crl";
    /** Both ends are vAMT on a current JDK: no older protocol is needed. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3");
    /** What to run when the material is missing (helps the one log line that says so). */
    public static final String HOW_TO_MAKE = "vamt:link-ca-create and vamt:link-cert-issue on the CA peer, "
            + "vamt:link-cert-install on the others (docs/scale-out.md)";

    private final X509Certificate certificate;
    private final KeyManager[] keyManagers;
    private final RevocationAwareTrustManager trustManager;
    private final SSLContext sslContext;

    private LinkTls(X509Certificate certificate, KeyManager[] keyManagers, RevocationAwareTrustManager trustManager)
            throws GeneralSecurityException {
        this.certificate = certificate;
        this.keyManagers = keyManagers;
        this.trustManager = trustManager;
        this.sslContext = SSLContext.getInstance("TLSv1.3");
        sslContext.init(keyManagers, new TrustManager[] {trustManager}, null);
    }

    /** Whether {@code etcDir} holds this peer's link identity and the site CA (not whether they are valid). */
    public static boolean present(Path etcDir) {
        return Files.isRegularFile(etcDir.resolve(KEYSTORE)) && Files.isRegularFile(etcDir.resolve(PASSWORD_FILE))
                && Files.isRegularFile(etcDir.resolve(CA));
    }

    /**
     * Reads the link material of {@code etcDir}. Fails with a message naming the file and what is
     * wrong when a file is missing, unreadable, or the peer's certificate is not the site CA's.
     */
    public static LinkTls load(Path etcDir) throws IOException, GeneralSecurityException {
        List<X509Certificate> anchors = certificates(etcDir.resolve(CA));
        if (anchors.isEmpty()) {
            throw new CertificateException(etcDir.resolve(CA) + " holds no certificate");
        }
        char[] password = password(etcDir.resolve(PASSWORD_FILE));
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            Path keystore = etcDir.resolve(KEYSTORE);
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(keystore + " (this peer's link certificate) does not exist; make it with "
                        + HOW_TO_MAKE);
            } catch (IOException e) {
                throw new IOException(keystore + " cannot be read with the password of " + PASSWORD_FILE + ": "
                        + e.getMessage(), e);
            }
            if (!(store.getKey(ALIAS, password) instanceof PrivateKey)) {
                throw new GeneralSecurityException(keystore + " has no key entry '" + ALIAS + "'");
            }
            Certificate[] chain = store.getCertificateChain(ALIAS);
            X509Certificate own = (X509Certificate) chain[0];
            if (anchors.stream().noneMatch(ca -> signedBy(own, ca))) {
                throw new CertificateException(keystore + ": the certificate of '" + peerId(own)
                        + "' was not issued by the site CA in " + CA);
            }
            // a store holding only the link key, so nothing else in the file is ever presented
            KeyStore only = KeyStore.getInstance("PKCS12");
            only.load(null, null);
            only.setKeyEntry(ALIAS, store.getKey(ALIAS, password), password, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(only, password);
            return new LinkTls(own, kmf.getKeyManagers(), new RevocationAwareTrustManager(anchors, etcDir.resolve(CRL)));
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** A TLS 1.3 context with this peer's key and the site CA's trust; for client and server ends. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** Parameters for a server end: client certificate required, TLS 1.3 only. */
    public SSLParameters serverParameters() {
        SSLParameters p = sslContext.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS.toArray(String[]::new));
        p.setNeedClientAuth(true);
        return p;
    }

    /** Parameters for a client end: TLS 1.3 only (the peer is checked by {@link #peerId} against whom it should be). */
    public SSLParameters clientParameters() {
        SSLParameters p = sslContext.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS.toArray(String[]::new));
        return p;
    }

    public KeyManager[] keyManagers() {
        return keyManagers.clone();
    }

    public TrustManager[] trustManagers() {
        return new TrustManager[] {trustManager};
    }

    /** This peer's certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The peer id a link certificate names: its subject's CN. */
    public static String peerId(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            // an unparseable subject names no peer
        }
        return "";
    }

    /** Every certificate of a PEM (or DER) file. */
    public static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + " (the site CA of the link) does not exist; make it with " + HOW_TO_MAKE);
        }
    }

    private static char[] password(Path file) throws IOException {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new IOException(file + " is empty");
            }
            return text.toCharArray();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + " (the password of " + KEYSTORE + ") does not exist; make it with "
                    + HOW_TO_MAKE);
        }
    }

    static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * PKIX validation to the site CA, with the CA's revocation list when there is one. The list's
     * file is looked at again at most once a second; a list that does not verify against the CA
     * refuses every peer (fail closed) until a good one is installed.
     */
    static final class RevocationAwareTrustManager extends X509ExtendedTrustManager {
        private static final long RECHECK_NANOS = 1_000_000_000L;
        private final List<X509Certificate> anchors;
        private final Path crlFile;
        private volatile X509ExtendedTrustManager delegate;
        private volatile Object crlStamp = new Object();
        private volatile long checkedAt = System.nanoTime() - RECHECK_NANOS;

        RevocationAwareTrustManager(List<X509Certificate> anchors, Path crlFile) throws GeneralSecurityException {
            this.anchors = List.copyOf(anchors);
            this.crlFile = crlFile;
            current();
        }

        private X509ExtendedTrustManager current() throws CertificateException {
            long now = System.nanoTime();
            if (delegate != null && now - checkedAt < RECHECK_NANOS) {
                return delegate;
            }
            synchronized (this) {
                checkedAt = now;
                Object stamp = stamp();
                if (delegate == null || !Objects.equals(stamp, crlStamp)) {
                    delegate = build();
                    crlStamp = stamp;
                }
                return delegate;
            }
        }

        private Object stamp() {
            try {
                FileTime modified = Files.getLastModifiedTime(crlFile);
                return List.of(modified, Files.size(crlFile));
            } catch (IOException absent) {
                return "none";
            }
        }

        private X509ExtendedTrustManager build() throws CertificateException {
            try {
                Set<TrustAnchor> trust = new HashSet<>();
                for (X509Certificate ca : anchors) {
                    trust.add(new TrustAnchor(ca, null));
                }
                PKIXBuilderParameters params = new PKIXBuilderParameters(trust, new X509CertSelector());
                List<X509CRL> crls = crls();
                params.setRevocationEnabled(!crls.isEmpty());
                if (!crls.isEmpty()) {
                    params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                tmf.init(new CertPathTrustManagerParameters(params));
                for (TrustManager tm : tmf.getTrustManagers()) {
                    if (tm instanceof X509ExtendedTrustManager x) {
                        return x;
                    }
                }
                throw new CertificateException("no X.509 trust manager");
            } catch (GeneralSecurityException | IOException e) {
                return refuseAll(e.getMessage());
            }
        }

        private List<X509CRL> crls() throws IOException, GeneralSecurityException {
            if (!Files.isRegularFile(crlFile)) {
                return List.of();
            }
            Collection<? extends java.security.cert.CRL> read;
            try (InputStream in = Files.newInputStream(crlFile)) {
                read = CertificateFactory.getInstance("X.509").generateCRLs(in);
            }
            List<X509CRL> out = new ArrayList<>();
            for (java.security.cert.CRL crl : read) {
                X509CRL x = (X509CRL) crl;
                boolean verified = false;
                for (X509Certificate ca : anchors) {
                    try {
                        x.verify(ca.getPublicKey());
                        verified = true;
                    } catch (GeneralSecurityException notThisOne) {
                        // try the next anchor
                    }
                }
                if (!verified) {
                    throw new CertificateException(crlFile + " is not signed by the site CA");
                }
                out.add(x);
            }
            if (out.isEmpty()) {
                throw new CertificateException(crlFile + " holds no revocation list");
            }
            return out;
        }

        private static X509ExtendedTrustManager refuseAll(String why) {
            return new X509ExtendedTrustManager() {
                private void refuse() throws CertificateException {
                    throw new CertificateException("the link's revocation list cannot be used: " + why);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                        throws CertificateException {
                    refuse();
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                        throws CertificateException {
                    refuse();
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                        throws CertificateException {
                    refuse();
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                        throws CertificateException {
                    refuse();
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    refuse();
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    refuse();
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            };
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            current().checkClientTrusted(chain, authType, socket);
            requireRole(chain, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            current().checkServerTrusted(chain, authType, socket);
            requireRole(chain, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            current().checkClientTrusted(chain, authType, engine);
            requireRole(chain, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            current().checkServerTrusted(chain, authType, engine);
            requireRole(chain, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().checkClientTrusted(chain, authType);
            requireRole(chain, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().checkServerTrusted(chain, authType);
            requireRole(chain, true);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return anchors.toArray(X509Certificate[]::new);
        }
    }

    /**
     * A link server must hold a node's certificate (serverAuth) and a client a gateway's (clientAuth),
     * named in its extended key usage. JSSE's own check lets a certificate without that extension (or
     * with anyExtendedKeyUsage) be both; on the link a role is always explicit.
     */
    static void requireRole(X509Certificate[] chain, boolean server) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the link peer presented no certificate");
        }
        PeerRole role = PeerRole.of(chain[0]).orElse(null);
        if (role == null || (server ? !role.serves() : !role.calls())) {
            throw new CertificateException("the link peer '" + peerId(chain[0]) + "' presented a certificate of role "
                    + PeerRole.describe(chain[0]) + (server ? ", not a node's (serverAuth): it cannot serve the link"
                    : ", not a gateway's (clientAuth): it cannot call nodes"));
        }
    }
}
