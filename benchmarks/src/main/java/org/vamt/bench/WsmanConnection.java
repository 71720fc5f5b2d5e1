package org.vamt.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.vamt.security.digest.DigestSession;

/**
 * One keep-alive HTTP connection to a WS-Management endpoint with the Digest state AMT consoles
 * keep (vamt-security's {@link DigestSession}: one nonce, growing nc): a 401 is answered once with
 * credentials, later requests carry them up front, a stale nonce is renewed. Socket-level on
 * purpose, so the client adds as little as possible to the figures.
 */
public final class WsmanConnection implements AutoCloseable {
    /** Status and body of one answer. */
    public record Response(int status, String body) {
    }

    private final String host;
    private final int port;
    /** Null for an anonymous connection (Identify). */
    private final DigestSession digest;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private String challenge;

    public WsmanConnection(String host, int port, String user, String password) {
        this.host = host;
        this.port = port;
        this.digest = user == null ? null : new DigestSession(user, password);
    }

    /** Posts an envelope, answering a Digest challenge once; closes the socket on I/O errors. */
    public Response post(byte[] body) throws IOException {
        try {
            boolean withCredentials = digest != null && digest.hasNonce();
            Response r = exchange(body, withCredentials);
            return r.status() == 401 && digest != null && digest.retryAfter(challenge, withCredentials)
                    ? exchange(body, true) : r;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private Response exchange(byte[] body, boolean withCredentials) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(60_000);
            in = new BufferedInputStream(socket.getInputStream(), 65_536);
            out = socket.getOutputStream();
        }
        StringBuilder head = new StringBuilder(320).append("POST /wsman HTTP/1.1\r\nHost: ").append(host).append(':')
                .append(port).append("\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ")
                .append(body.length).append("\r\n");
        if (withCredentials) {
            head.append("Authorization: ").append(digest.authorization("POST", "/wsman")).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        out.write(all);
        out.flush();
        return readResponse();
    }

    private Response readResponse() throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        int length = -1;
        boolean close = false;
        boolean chunked = false;
        String header;
        challenge = null;
        while (!(header = line()).isEmpty()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(header.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            } else if (lower.startsWith("www-authenticate:")) {
                challenge = header.substring(17).trim();
            }
        }
        byte[] content;
        if (chunked) {
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            int size;
            while ((size = Integer.parseInt(line().trim().split(";")[0], 16)) > 0) {
                buf.write(in.readNBytes(size));
                line();
            }
            line();
            content = buf.toByteArray();
        } else {
            content = length > 0 ? in.readNBytes(length) : new byte[0];
        }
        if (close) {
            close();
        }
        return new Response(code, new String(content, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }
}
