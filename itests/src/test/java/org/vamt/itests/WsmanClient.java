package org.vamt.itests;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.vamt.security.digest.DigestClient;

/**
 * A minimal WS-Management client for tests that run inside Karaf or beside it: envelopes here, HTTP
 * Digest from vamt-security's {@link DigestClient}.
 */
public final class WsmanClient {
    public static final String PASSWORD = "Itest-Passw0rd#";
    public static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    public static final String ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
    public static final String PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";

    private final DigestClient digest;
    private int messageId;

    /** Whether anything accepts a TCP connection on {@code host:port} (within 500 ms). */
    public static boolean listening(String host, int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    public WsmanClient(String host, int port) {
        this(host, port, "admin", PASSWORD);
    }

    public WsmanClient(String host, int port, String user, String password) {
        this.digest = new DigestClient(URI.create("http://" + host + ":" + port + "/wsman"), user, password)
                .timeout(Duration.ofSeconds(15));
    }

    public static String identify() {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
                + "<s:Header></s:Header><s:Body><i:Identify></i:Identify></s:Body></s:Envelope>";
    }

    /** A WS-Management request: {@code action} on {@code resourceUri} with this body (namespaces declared in it). */
    public static String envelope(String action, String resourceUri, String body) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + action + "</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + resourceUri + "</w:ResourceURI><a:MessageID>1</a:MessageID>"
                + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    }

    public String get(String resourceUri, String selectors) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + resourceUri + "</w:ResourceURI><a:MessageID>" + (++messageId) + "</a:MessageID>"
                + (selectors == null ? "" : "<w:SelectorSet>" + selectors + "</w:SelectorSet>")
                + "</s:Header><s:Body></s:Body></s:Envelope>";
    }

    /** An optimized Enumerate: all instances come back in the EnumerateResponse. */
    public String enumerateAll(String resourceUri) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + resourceUri + "</w:ResourceURI><a:MessageID>" + (++messageId) + "</a:MessageID>"
                + "</s:Header><s:Body><n:Enumerate><w:OptimizeEnumeration></w:OptimizeEnumeration>"
                + "<w:MaxElements>100</w:MaxElements></n:Enumerate></s:Body></s:Envelope>";
    }

    /**
     * Posts until the answer has {@code status} (SCR, Jetty and feature installs settle
     * asynchronously) or 60 s pass.
     */
    public HttpResponse<String> awaitStatus(String envelope, int status) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        HttpResponse<String> last = null;
        Exception error = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                last = post(envelope);
                if (last.statusCode() == status) {
                    return last;
                }
            } catch (IOException e) {
                error = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no HTTP " + status + " within 60 s; last: "
                + (last == null ? error : last.statusCode() + " " + last.body()));
    }

    /** Posts with Digest, answering the challenge (and a stale nonce) when needed. */
    public HttpResponse<String> post(String envelope) throws IOException, InterruptedException {
        return digest.post(envelope);
    }

    /** Sends exactly this {@code Authorization} header, or none when null. */
    public HttpResponse<String> send(String envelope, String authorization) throws IOException, InterruptedException {
        return digest.raw(envelope, authorization);
    }
}
