package org.vamt.endpoints.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.security.SecurityService;
import org.vamt.security.UserDirectory;
import org.vamt.security.digest.DigestMath;
import org.vamt.security.digest.DigestSession;
import org.vamt.security.internal.TestSecurity;

/**
 * HTTP/1.1 by hand over real sockets, from a chosen loopback source address, for the tests of the
 * door's deadlines and connection caps: what a dripping or hostile client sends is exactly what
 * the test writes. Credentials come from the project's {@link DigestSession}.
 */
final class RawHttp {
    static final String VM = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    static final String USER = "admin";
    static final String PASSWORD = "P@ssw0rd-door";
    static final String SERVER = "Server: Intel(R) Active Management Technology 16.1.30.2307";
    /** The VM's endpoint address (the first VM of the test transport). */
    static final String TARGET = "127.0.0.2";

    private RawHttp() {
    }

    static int freePort() throws IOException {
        return freePorts(1)[0];
    }

    /**
     * Distinct free ports: all sockets stay open until every port is known, because a port closed a
     * moment ago may be handed out again at once (two listeners on one port then collide).
     */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** The real security service with one administrator. */
    static SecurityService security() {
        UserDirectory admin = new UserDirectory() {
            @Override
            public Optional<String> ha1(String user, String machineId, String realm) {
                return user.equals(USER) ? Optional.of(DigestMath.ha1(user, realm, PASSWORD)) : Optional.empty();
            }

            @Override
            public boolean permits(String user, String machineId, int realm) {
                return user.equals(USER);
            }
        };
        return TestSecurity.create(admin, 5, 60_000, 600_000, e -> { });
    }

    /** A handler that answers 200 "ok". */
    static final EndpointPathHandler OK = call -> new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, "ok");

    /** A socket to the VM's endpoint from {@code source}. */
    static Socket connect(String source, int port, int readTimeoutMillis) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(new InetSocketAddress(TARGET, port), 2_000);
        s.setSoTimeout(readTimeoutMillis);
        return s;
    }

    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** A Digest session that has learnt the endpoint's nonce from a 401. */
    static DigestSession session(int port) throws IOException {
        DigestSession digest = new DigestSession(USER, PASSWORD);
        try (Socket s = connect("127.0.0.1", port, 5_000)) {
            send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            Response r = read(s);
            String challenge = r.header("WWW-Authenticate");
            if (r.status() != 401 || challenge == null || !digest.learn(challenge)) {
                throw new IllegalStateException("no Digest challenge: " + r);
            }
        }
        return digest;
    }

    /** An authenticated POST of {@code body} to /echo, the connection kept open. */
    static String post(DigestSession digest, String body) {
        return "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: " + digest.authorization("POST", "/echo")
                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    /** One answer: status line, headers, Content-Length bytes of body. */
    record Response(int status, String head, String body) {
        String header(String name) {
            return head.lines().filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                    .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse(null);
        }
    }

    static Response read(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head.size() + " bytes: "
                        + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(h.substring(9, 12));
        Response r = new Response(status, h, "");
        String length = r.header("Content-Length");
        byte[] body = in.readNBytes(length == null ? 0 : Integer.parseInt(length));
        return new Response(status, h, new String(body, StandardCharsets.UTF_8));
    }

    /** True when the server closed the connection (nothing more to read); false if it is still open. */
    static boolean closedByServer(Socket s) throws IOException {
        try {
            while (true) {
                int b = s.getInputStream().read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }
}
