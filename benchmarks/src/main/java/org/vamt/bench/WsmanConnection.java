package org.vamt.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One keep-alive HTTP connection to a WS-Management endpoint with the Digest state AMT consoles
 * keep (one nonce, growing nc): a 401 is answered once with credentials, later requests carry
 * them up front. Socket-level on purpose, so the client adds as little as possible to the figures.
 */
public final class WsmanConnection implements AutoCloseable {
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"?([^\",]*)\"?");

    /** Status and body of one answer. */
    public record Response(int status, String body) {
    }

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private String nonce;
    private String realm;
    private String ha1;
    private int nc;

    public WsmanConnection(String host, int port, String user, String password) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /** Posts an envelope, answering a Digest challenge once; closes the socket on I/O errors. */
    public Response post(byte[] body) throws IOException {
        try {
            Response r = exchange(body);
            return r.status() == 401 && user != null ? exchange(body) : r;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private Response exchange(byte[] body) throws IOException {
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
        if (nonce != null && user != null) {
            head.append("Authorization: ").append(authorization()).append("\r\n");
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

    private String authorization() {
        String ncText = String.format("%08x", ++nc);
        String cnonce = "0a4f113b";
        if (ha1 == null) {
            ha1 = md5(user + ":" + realm + ":" + password);
        }
        String ha2 = md5("POST:/wsman");
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce
                + "\", uri=\"/wsman\", qop=auth, nc=" + ncText + ", cnonce=\"" + cnonce + "\", response=\""
                + md5(ha1 + ":" + nonce + ":" + ncText + ":" + cnonce + ":auth:" + ha2) + "\"";
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
        while (!(header = line()).isEmpty()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(header.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            } else if (lower.startsWith("www-authenticate:") && lower.contains("digest")) {
                Matcher m = PARAM.matcher(header.substring(lower.indexOf("digest") + 6));
                while (m.find()) {
                    if (m.group(1).equals("nonce")) {
                        nonce = m.group(2);
                    } else if (m.group(1).equals("realm")) {
                        String newRealm = m.group(2);
                        if (!newRealm.equals(realm)) {
                            ha1 = null;
                        }
                        realm = newRealm;
                    }
                }
                nc = 0;
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

    static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
