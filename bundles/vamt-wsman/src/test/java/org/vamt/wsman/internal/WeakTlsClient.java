package org.vamt.wsman.internal;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS client run in its own JVM, started with a security property file that lifts the JDK's
 * own ban on TLS 1.0/1.1, so it really offers what old clients offer and any refusal comes from
 * the server. Arguments: host port protocols(comma) [suites(comma)]. Exit 0 = handshake done.
 */
public final class WeakTlsClient {
    private WeakTlsClient() {
    }

    public static void main(String[] args) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(new Socket(args[0],
                Integer.parseInt(args[1])), args[0], Integer.parseInt(args[1]), true)) {
            s.setEnabledProtocols(args[2].split(","));
            if (args.length > 3) {
                s.setEnabledCipherSuites(args[3].split(","));
            }
            System.out.println("offering " + String.join(",", s.getEnabledProtocols()));
            s.startHandshake();
            System.out.println("negotiated " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }
}
