package org.vamt.tls.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * Which TLS versions and cipher suites vAMT's TLS listeners enable, and why.
 *
 * <p>TLS 1.3 for every modern client. TLS 1.2 stays because MeshCentral's AMT connection offers,
 * below TLS 1.3, only static-RSA AES suites ({@code RSA+AES:!aNULL:!MD5:!DSS}); of those we
 * enable the two GCM ones. ECDHE-RSA GCM/ChaCha20 suites come first for everyone else.
 * No CBC suites: every TLS 1.2 client offers GCM, and CBC only matters to TLS 1.0/1.1
 * clients, which are refused. No TLS 1.0/1.1.
 */
final class TlsPolicy {
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Static-RSA suites MeshCentral needs for TLS 1.2. */
    static final List<String> MESHCENTRAL_TLS12_SUITES = List.of(
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_RSA_WITH_AES_128_GCM_SHA256");

    /** Server preference order: TLS 1.3, then forward-secret TLS 1.2, then the static-RSA ones. */
    static final List<String> SUITES = List.of(
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            MESHCENTRAL_TLS12_SUITES.get(0),
            MESHCENTRAL_TLS12_SUITES.get(1));

    private TlsPolicy() {
    }

    /**
     * The suites of {@link #SUITES} this JDK will negotiate. A suite named in the security
     * property {@code jdk.tls.disabledAlgorithms} (newer JDKs list {@code TLS_RSA_*}) is missing
     * from the supported list; SunJSSE applies that property to every engine on top of any
     * per-engine constraints, so it cannot be re-enabled per engine and is left out here.
     */
    static List<String> negotiable(SSLContext context) {
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        List<String> result = new ArrayList<>();
        for (String suite : SUITES) {
            if (supported.contains(suite)) {
                result.add(suite);
            }
        }
        return List.copyOf(result);
    }

    /** Suites of {@link #SUITES} this JDK refuses, for the operator's log. */
    static List<String> refused(SSLContext context) {
        List<String> missing = new ArrayList<>(SUITES);
        missing.removeAll(Arrays.asList(context.getSupportedSSLParameters().getCipherSuites()));
        return missing;
    }

    static List<String> protocols(SSLContext context) {
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getProtocols());
        return PROTOCOLS.stream().filter(supported::contains).toList();
    }
}
