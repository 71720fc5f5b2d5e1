package org.vamt.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import org.vamt.security.digest.DigestMath;

/**
 * The floor for the paper's experiment: the JDK's HttpServer answering every POST with one canned
 * CIM_SoftwareIdentity GetResponse (the size of vAMT's). It pays the same Digest costs as vAMT —
 * a 401 challenge for a request without credentials, and an MD5 check of every response — but
 * parses no XML and consults no CIMOM, so it is what HTTP + Digest alone cost on this machine.
 *
 * <pre>java -cp benchmarks/target/classes:bundles/vamt-security/target/classes org.vamt.bench.SoapFloor port user password threads</pre>
 */
public final class SoapFloor {
    private static final String REALM = "Digest:F00D0000000000000000000000000000";
    private static final String NONCE = "floor-nonce-0123456789abcdef";
    private static final byte[] ANSWER = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope "
            + "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
            + "xmlns:c=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
            + "xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" "
            + "xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "
            + "xmlns:g=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><a:Header><b:To>"
            + "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>1</b:RelatesTo>"
            + "<b:Action a:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</b:Action>"
            + "<b:MessageID>uuid:00000000-8086-8086-8086-000000000001</b:MessageID><c:ResourceURI>"
            + "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</c:ResourceURI></a:Header>"
            + "<a:Body><g:CIM_SoftwareIdentity><g:ElementName>Intel(r) AMT</g:ElementName><g:InstanceID>AMT"
            + "</g:InstanceID><g:IsEntity>true</g:IsEntity><g:VersionString>16.1.30</g:VersionString>"
            + "</g:CIM_SoftwareIdentity></a:Body></a:Envelope>").getBytes(StandardCharsets.UTF_8);

    private SoapFloor() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: SoapFloor port user password threads");
            System.exit(2);
        }
        System.setProperty("sun.net.httpserver.nodelay", "true");
        String user = args[1];
        String ha1 = DigestMath.ha1(user, REALM, args[2]);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
        server.setExecutor(Executors.newFixedThreadPool(Integer.parseInt(args[3])));
        server.createContext("/wsman", exchange -> {
            exchange.getRequestBody().readAllBytes();
            if (authorized(exchange.getRequestHeaders().getFirst("Authorization"), user, ha1)) {
                exchange.getResponseHeaders().set("Content-Type", "application/soap+xml;charset=UTF-8");
                respond(exchange, 200, ANSWER);
            } else {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Digest realm=\"" + REALM + "\", nonce=\""
                        + NONCE + "\", stale=\"false\", qop=\"auth\"");
                respond(exchange, 401, new byte[0]);
            }
        });
        server.start();
        System.out.println("floor listening on 127.0.0.1:" + args[0]);
    }

    /** The check vAMT makes, with the same parser and arithmetic (vamt-security's DigestMath). */
    private static boolean authorized(String header, String user, String ha1) {
        if (header == null || !header.startsWith("Digest ")) {
            return false;
        }
        Map<String, String> p = DigestMath.parameters(header.substring(7));
        String expected = DigestMath.response(ha1, NONCE, p.get("nc"), p.get("cnonce"), "auth", "POST", p.get("uri"));
        return user.equals(p.get("username")) && NONCE.equals(p.get("nonce")) && "/wsman".equals(p.get("uri"))
                && DigestMath.sameDigest(expected, p.get("response"));
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
