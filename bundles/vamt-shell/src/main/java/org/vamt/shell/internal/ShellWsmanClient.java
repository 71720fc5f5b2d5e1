package org.vamt.shell.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.vamt.security.digest.DigestClient;
import org.vamt.markup.Markup;

/**
 * A minimal WS-Management client for troubleshooting from the shell: builds the envelopes AMT
 * consoles send and does HTTP Digest (MD5, qop=auth) against any endpoint, vAMT's or a real AMT's.
 */
final class ShellWsmanClient {
    static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    static final String VAMT = "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/";

    private final DigestClient digest;

    ShellWsmanClient(String target, String user, String password) {
        String t = target.contains("://") ? target : "http://" + target;
        URI u = URI.create(t);
        if (u.getPort() < 0) {
            u = URI.create(u.getScheme() + "://" + u.getHost() + ":16992/wsman");
        } else if (u.getPath() == null || u.getPath().isEmpty()) {
            u = URI.create(t + "/wsman");
        }
        this.digest = new DigestClient(u, user, password).timeout(Duration.ofSeconds(60));
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
            selectors.forEach((k, v) -> sb.append("<w:Selector Name=\"").append(Markup.escape(k)).append("\">")
                    .append(Markup.escape(v)).append("</w:Selector>"));
            sb.append("</w:SelectorSet>");
        }
        sb.append("</Header><Body>").append(body == null ? "" : body).append("</Body></Envelope>");
        return sb.toString();
    }

    /** Posts without credentials (Identify). */
    HttpResponse<String> postAnonymous(String envelope) throws IOException, InterruptedException {
        return digest.raw(envelope, null);
    }

    /** Posts, answering the Digest challenge. */
    HttpResponse<String> post(String envelope) throws IOException, InterruptedException {
        return digest.post(envelope);
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
