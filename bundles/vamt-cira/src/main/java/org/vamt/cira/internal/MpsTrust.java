package org.vamt.cira.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * How the MPS's certificate is checked, always before a byte of APF (and so any credential) is
 * sent: PKIX validation against configured roots (PEM), or a SHA-256 pin of one certificate of the
 * chain the MPS presents (its leaf, or a CA it sends); in both modes the host name vAMT dialled must
 * be in the leaf's subject alternative names (DNS or IP), or its CN when it has none.
 */
final class MpsTrust {
    private final List<X509Certificate> roots;
    private final List<byte[]> pins;

    private MpsTrust(List<X509Certificate> roots, List<byte[]> pins) {
        this.roots = roots;
        this.pins = pins;
    }

    /** Trust anchors from PEM text (one or more CERTIFICATE blocks). */
    static MpsTrust roots(String pem) throws CertificateException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> list = new ArrayList<>();
        for (java.security.cert.Certificate c : cf.generateCertificates(
                new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
            list.add((X509Certificate) c);
        }
        if (list.isEmpty()) {
            throw new CertificateException("no certificate in the PEM text");
        }
        return new MpsTrust(list, List.of());
    }

    /** SHA-256 pins, hex (colons and spaces allowed), comma separated. */
    static MpsTrust pins(String hex) {
        List<byte[]> list = new ArrayList<>();
        for (String one : hex.split(",")) {
            String h = one.replaceAll("[:\\s]", "");
            if (h.isEmpty()) {
                continue;
            }
            if (!h.matches("[0-9A-Fa-f]{64}")) {
                throw new IllegalArgumentException("a SHA-256 pin is 64 hex digits (colons allowed), got '" + one.trim()
                        + "'");
            }
            list.add(HexFormat.of().parseHex(h));
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no SHA-256 pin given");
        }
        return new MpsTrust(List.of(), list);
    }

    String describe() {
        return pins.isEmpty() ? roots.size() + " root certificate(s)" : "SHA-256 pin";
    }

    /** A TLS 1.2+ client context that checks the MPS's certificate for {@code host}. */
    SSLContext context() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {trustManager()}, null);
        return ctx;
    }

    private X509TrustManager trustManager() throws GeneralSecurityException {
        X509TrustManager pkix = null;
        if (!roots.isEmpty()) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                ks.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            int i = 0;
            for (X509Certificate c : roots) {
                ks.setCertificateEntry("root" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    pkix = x;
                }
            }
        }
        X509TrustManager chain = pkix;
        return new X509ExtendedTrustManager() {
            private void check(X509Certificate[] presented, String authType, String host) throws CertificateException {
                if (presented == null || presented.length == 0) {
                    throw new CertificateException("the MPS presented no certificate");
                }
                if (chain != null) {
                    chain.checkServerTrusted(presented, authType);
                } else if (!pinned(presented)) {
                    throw new CertificateException("no certificate of the MPS's chain matches the SHA-256 pin (leaf "
                            + "SHA-256 " + sha256Hex(presented[0]) + ", subject " + presented[0].getSubjectX500Principal()
                            + ")");
                }
                if (host == null || !namesHost(presented[0], host)) {
                    throw new CertificateException("the MPS's certificate (subject "
                            + presented[0].getSubjectX500Principal() + ") does not name " + host);
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
                check(c, a, s instanceof javax.net.ssl.SSLSocket ssl ? ssl.getHandshakeSession() == null ? null
                        : ssl.getHandshakeSession().getPeerHost() : null);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
                check(c, a, e.getPeerHost());
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
                throw new CertificateException("the host name is unknown");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
                throw new CertificateException("not a server");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
                throw new CertificateException("not a server");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
                throw new CertificateException("not a server");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return roots.toArray(new X509Certificate[0]);
            }
        };
    }

    private boolean pinned(X509Certificate[] presented) throws CertificateException {
        for (X509Certificate c : presented) {
            byte[] h = sha256(c);
            for (byte[] p : pins) {
                if (MessageDigest.isEqual(h, p)) {
                    return true;
                }
            }
        }
        return false;
    }

    static byte[] sha256(X509Certificate c) throws CertificateException {
        try {
            return MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
    }

    static String sha256Hex(X509Certificate c) throws CertificateException {
        return HexFormat.of().formatHex(sha256(c));
    }

    /** RFC 6125 in short: an IP against IP SANs; a name against DNS SANs (one leading wildcard label); CN without SANs. */
    static boolean namesHost(X509Certificate leaf, String host) throws CertificateException {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        boolean ip = isIpLiteral(h);
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (sans != null && !sans.isEmpty()) {
            for (List<?> san : sans) {
                int kind = (Integer) san.get(0);
                String value = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
                if (ip && kind == 7 && sameIp(value, h)) {
                    return true;
                }
                if (!ip && kind == 2 && dnsMatches(value, h)) {
                    return true;
                }
            }
            return false;
        }
        String dn = leaf.getSubjectX500Principal().getName();
        for (String rdn : dn.split(",")) {
            if (rdn.trim().toUpperCase(Locale.ROOT).startsWith("CN=")) {
                String cn = rdn.trim().substring(3).toLowerCase(Locale.ROOT);
                return ip ? sameIp(cn, h) : dnsMatches(cn, h);
            }
        }
        return false;
    }

    private static boolean isIpLiteral(String h) {
        return h.matches("[0-9.]+") || h.contains(":");
    }

    private static boolean sameIp(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean dnsMatches(String pattern, String host) {
        String p = IDN.toASCII(pattern).toLowerCase(Locale.ROOT);
        String h = IDN.toASCII(host).toLowerCase(Locale.ROOT);
        if (p.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot + 1).equals(p.substring(2));
        }
        return p.equals(h);
    }
}
