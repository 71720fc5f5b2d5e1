package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;
import org.ops4j.pax.exam.OptionUtils;
import org.vamt.security.digest.DigestSession;
import org.vamt.tls.TlsIdentity;

/**
 * Reconfiguration at runtime, as an operator does it (config:edit, or editing etc/*.cfg): a new
 * maxFailedLogins and a TLS port added while a console holds a keep-alive connection and an open
 * enumeration. Both apply at once, and the connection and the enumeration context survive: the
 * components take the change in place (@Modified) instead of restarting.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReconfigurationIT {
    static final int PORT = 57992;
    static final int TLS_PORT = PORT + 1;
    static final String HOST = "127.0.0.2";
    static final String SOFTWARE = WsmanClient.CIM + "CIM_SoftwareIdentity";
    static final String ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
    private static final Pattern CONTEXT = Pattern.compile("<[a-zA-Z]+:EnumerationContext>([^<]+)</");

    @Inject
    ConfigurationAdmin configAdmin;

    @Inject
    TlsIdentity tls;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("reconfiguration", PORT, "57181", "57101", "57099", "57444"),
                // start without TLS: the test adds the TLS port at runtime
                editConfigurationFilePut("etc/org.vamt.wsman.cfg", "tlsPort", "0"));
    }

    @Test
    public void newLockoutAndTlsPortApplyInPlaceKeepingConnectionsAndEnumerations() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        client.awaitStatus(client.enumerateAll(SOFTWARE), 200);
        assertTrue("no TLS listener yet", !answersTls());

        try (KeepAlive console = new KeepAlive(HOST, PORT, "admin", WsmanClient.PASSWORD)) {
            // an enumeration left open: one instance pulled, more to come
            Matcher m = CONTEXT.matcher(console.post(enumerate()).body());
            assertTrue("Enumerate answers a context", m.find());
            String context = m.group(1);
            String first = console.post(pull(context, 1)).body();
            assertTrue(first, first.contains("CIM_SoftwareIdentity") && !first.contains("EndOfSequence"));

            // the operator lowers the lockout threshold and adds the TLS port
            update("org.vamt.security", Map.of("maxFailedLogins", "2", "lockoutSeconds", "2"));
            update("org.vamt.wsman", Map.of("tlsPort", String.valueOf(TLS_PORT)));
            long deadline = System.currentTimeMillis() + 30_000;
            while (!answersTls() && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            assertTrue("the TLS port was opened at runtime", answersTls());

            // the new threshold holds at once: two wrong passwords lock admin out from here
            WsmanClient wrong = new WsmanClient(HOST, PORT, "admin", "Wrong-Passw0rd#");
            assertEquals(401, wrong.post(client.get(SOFTWARE, null)).statusCode());
            assertEquals(401, wrong.post(client.get(SOFTWARE, null)).statusCode());
            assertEquals("locked out after 2 failures (was 5)", 401,
                    new WsmanClient(HOST, PORT).post(client.get(SOFTWARE, null)).statusCode());
            // the 2 s lockout ends: a try while locked is neither counted nor extends it
            new WsmanClient(HOST, PORT).awaitStatus(client.get(SOFTWARE, null), 200);

            // the console's connection and its enumeration are still there
            int connectionsBefore = console.connections();
            KeepAlive.Response rest = console.post(pull(context, 100));
            assertEquals(rest.body(), 200, rest.status());
            assertTrue(rest.body(), rest.body().contains("InstanceID>AMT FW Core Version</") && rest.body().contains("EndOfSequence"));
            assertEquals("the same TCP connection served the console throughout", connectionsBefore,
                    console.connections());
            assertEquals(1, console.connections());
        } finally {
            update("org.vamt.security", Map.of("maxFailedLogins", "5", "lockoutSeconds", "60"));
        }
    }

    private void update(String pid, Map<String, String> changes) throws IOException {
        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration(pid, null);
        Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        changes.forEach(props::put);
        c.update(props);
    }

    /** Whether the TLS port answers Identify with vAMT's own certificate (the TLS identity service's). */
    private boolean answersTls() {
        try {
            X509Certificate own = tls.certificate();
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("vamt", own);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpsURLConnection c = (HttpsURLConnection) new URL("https://" + HOST + ":" + TLS_PORT + "/wsman")
                    .openConnection();
            c.setSSLSocketFactory(ssl.getSocketFactory());
            // the certificate names vAMT, not the VM's address: the chain check above is what counts
            c.setHostnameVerifier((host, session) -> true);
            c.setConnectTimeout(2_000);
            c.setReadTimeout(5_000);
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/soap+xml;charset=UTF-8");
            try (OutputStream out = c.getOutputStream()) {
                out.write(WsmanClient.identify().getBytes(StandardCharsets.UTF_8));
            }
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode() == 200
                        && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("IdentifyResponse");
            }
        } catch (Exception notYet) {
            return false;
        }
    }

    private static String enumerate() {
        return envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
                "<n:Enumerate xmlns:n=\"" + ENUMERATION + "\"></n:Enumerate>");
    }

    private static String pull(String context, int maxElements) {
        return envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull",
                "<n:Pull xmlns:n=\"" + ENUMERATION + "\"><n:EnumerationContext>" + context + "</n:EnumerationContext>"
                        + "<n:MaxElements>" + maxElements + "</n:MaxElements></n:Pull>");
    }

    private static String envelope(String action, String body) {
        return WsmanClient.envelope(action, SOFTWARE, body);
    }

    /**
     * One console connection, kept alive: HTTP/1.1 on a raw socket (so the test sees whether the
     * server closed it), Digest from vamt-security's {@link DigestSession}. Counts the TCP
     * connections it had to open.
     */
    static final class KeepAlive implements AutoCloseable {
        record Response(int status, Map<String, String> headers, String body) {
        }

        private final String host;
        private final int port;
        private final DigestSession digest;
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private int connections;

        KeepAlive(String host, int port, String user, String password) {
            this.host = host;
            this.port = port;
            this.digest = new DigestSession(user, password);
        }

        int connections() {
            return connections;
        }

        Response post(String envelope) throws IOException {
            if (!digest.hasNonce()) {
                // the 401 closes its connection (as AMT's does): learn the nonce on a throwaway one
                Response challenge = exchange(envelope, null);
                digest.learn(challenge.headers().get("www-authenticate"));
                close();
                connections = 0;
            }
            return exchange(envelope, digest.authorization("POST", "/wsman"));
        }

        private Response exchange(String envelope, String authorization) throws IOException {
            if (socket == null) {
                socket = new Socket();
                socket.connect(new InetSocketAddress(host, port), 5_000);
                socket.setSoTimeout(30_000);
                in = new BufferedInputStream(socket.getInputStream());
                out = socket.getOutputStream();
                connections++;
            }
            byte[] body = envelope.getBytes(StandardCharsets.UTF_8);
            String head = "POST /wsman HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
                    + "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: " + body.length + "\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String status = line();
            Map<String, String> headers = new TreeMap<>();
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            byte[] content = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new Response(Integer.parseInt(status.split(" ")[1]), headers,
                    new String(content, StandardCharsets.UTF_8));
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the server closed the connection");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }
    }
}
