package org.vamt.endpoints.internal;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS client context for tests that ask which certificate a server presented: it accepts any
 * server and keeps the leaf it saw, so the test can compare it with the identity it expects.
 */
public final class RecordingTlsClient {
    private final AtomicReference<X509Certificate> seen = new AtomicReference<>();
    private final SSLContext context;

    public RecordingTlsClient() throws GeneralSecurityException {
        context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen.set(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
    }

    public SSLContext context() {
        return context;
    }

    /** The server's certificate of the last handshake, or null before one. */
    public X509Certificate seen() {
        return seen.get();
    }
}
