package org.vamt.shell.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal WS-Management client for troubleshooting from the shell: builds the envelopes AMT
 * consoles send and does HTTP Digest (MD5, qop=auth) against any endpoint, vAMT's or a real AMT's.
 */
final class ShellWsmanClient {
    static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    static final String VAMT = "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/";
    private static final Pattern PARAM = Pattern.compile("(\\w+)=(\"([^\"]*)\"|[^,]*)");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI url;
    private final String user;
    private final String password;

    ShellWsmanClient(String target, String user, String password) {
        String t = target.contains("://") ? target : "http://" + target;
        URI u = URI.create(t);
        if (u.getPort() < 0) {
            u = URI.create(u.getScheme() + "://" + u.getHost() + ":16992/wsman");
        } else if (u.getPath() == null || u.getPath().isEmpty()) {
            u = URI.create(t + "/wsman");
        }
        this.url = u;
        this.user = user;
        this.password = password;
    }

    static String resourceUri(String className) {
        if (className.contains("://")) {
            return className;
        }
        if (className.startsWith("CIM_")) {
            return CIM + className;
        }
        if (className.startsWith("AMT_")) {
            return AMT + className;
        }
        return className.startsWith("IPS_") ? IPS + className : VAMT + className;
    }

    static String envelope(String action, String resourceUri, Map<String, String> selectors, String body) {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                + "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Header>");
        sb.append("<a:Action>").append(action).append("</a:Action><a:To>/wsman</a:To>");
        if (resourceUri != null) {
            sb.append("<w:ResourceURI>").append(resourceUri).append("</w:ResourceURI>");
        }
        sb.append("<a:MessageID>uuid:").append(UUID.randomUUID()).append("</a:MessageID>")
                .append("<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
                        + "</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>");
        if (selectors != null && !selectors.isEmpty()) {
            sb.append("<w:SelectorSet>");
            selectors.forEach((k, v) -> sb.append("<w:Selector Name=\"").append(escape(k)).append("\">")
                    .append(escape(v)).append("</w:Selector>"));
            sb.append("</w:SelectorSet>");
        }
        sb.append("</Header><Body>").append(body == null ? "" : body).append("</Body></Envelope>");
        return sb.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Posts without credentials (Identify). */
    HttpResponse<String> postAnonymous(String envelope) throws IOException, InterruptedException {
        return http.send(request(envelope, null), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts, answering the Digest challenge. */
    HttpResponse<String> post(String envelope) throws IOException, InterruptedException {
        HttpResponse<String> first = postAnonymous(envelope);
        String challenge = first.headers().firstValue("WWW-Authenticate").orElse(null);
        if (first.statusCode() != 401 || challenge == null || !challenge.regionMatches(true, 0, "Digest ", 0, 7)) {
            return first;
        }
        Map<String, String> p = new HashMap<>();
        Matcher m = PARAM.matcher(challenge.substring(7));
        while (m.find()) {
            p.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(3) != null ? m.group(3) : m.group(2).trim());
        }
        String realm = p.getOrDefault("realm", "");
        String nonce = p.getOrDefault("nonce", "");
        String cnonce = HexFormat.of().formatHex(RANDOM.generateSeed(8));
        String nc = "00000001";
        String path = url.getRawPath();
        String ha1 = md5(user + ":" + realm + ":" + password);
        String ha2 = md5("POST:" + path);
        String response = md5(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
        String auth = "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\""
                + path + "\", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", response=\"" + response + "\"";
        return http.send(request(envelope, auth), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String envelope, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/soap+xml; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(envelope, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Indents an XML answer one element per line, for reading in a terminal. */
    static String pretty(String xml) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        for (String part : xml.replace("><", ">\n<").split("\n")) {
            boolean closing = part.startsWith("</");
            boolean selfContained = part.matches("<[^/][^>]*>.*</.*>") || part.endsWith("/>") || part.startsWith("<?");
            if (closing) {
                depth = Math.max(0, depth - 1);
            }
            out.append("  ".repeat(depth)).append(part).append('\n');
            if (!closing && !selfContained && part.startsWith("<")) {
                depth++;
            }
        }
        return out.toString();
    }
}
