package org.vamt.itests;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A minimal WS-Management client with HTTP Digest, for tests that run inside Karaf or beside it. */
public final class WsmanClient {
    public static final String PASSWORD = "Itest-Passw0rd#";
    public static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private int messageId;
    private String nonce;
    private String realm;
    private int nc;
    private final String user;
    private final String password;

    public WsmanClient(String host, int port) {
        this(host, port, "admin", PASSWORD);
    }

    public WsmanClient(String host, int port, String user, String password) {
        this.url = "http://" + host + ":" + port + "/wsman";
        this.user = user;
        this.password = password;
    }

    public static String identify() {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
                + "<s:Header></s:Header><s:Body><i:Identify></i:Identify></s:Body></s:Envelope>";
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

    /** Posts with Digest, answering the challenge when needed. */
    public HttpResponse<String> post(String envelope) throws IOException, InterruptedException {
        if (nonce == null) {
            HttpResponse<String> first = send(envelope, null);
            if (first.statusCode() != 401) {
                return first;
            }
            learn(first.headers().firstValue("WWW-Authenticate").orElseThrow());
        }
        return send(envelope, authorization());
    }

    public HttpResponse<String> send(String envelope, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(envelope, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void learn(String challenge) {
        nonce = value(challenge, "nonce");
        realm = value(challenge, "realm");
        nc = 0;
    }

    private static String value(String header, String key) {
        Matcher m = Pattern.compile(key + "=\"([^\"]*)\"").matcher(header);
        if (!m.find()) {
            throw new IllegalStateException("no " + key + " in " + header);
        }
        return m.group(1);
    }

    private String authorization() {
        String ncText = String.format("%08x", ++nc);
        String cnonce = "5ca1ab1e";
        String ha1 = md5(user + ":" + realm + ":" + password);
        String ha2 = md5("POST:/wsman");
        String response = md5(ha1 + ":" + nonce + ":" + ncText + ":" + cnonce + ":auth:" + ha2);
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"/wsman\", "
                + "qop=\"auth\", nc=" + ncText + ", cnonce=\"" + cnonce + "\", response=\"" + response + "\"";
    }

    private static String md5(String s) {
        try {
            return String.format("%032x", new BigInteger(1,
                    MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
