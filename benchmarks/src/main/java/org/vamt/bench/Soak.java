package org.vamt.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A socket-level WS-Management load client: {@code threads} keep-alive connections, each doing the
 * paper's request (Get CIM_SoftwareIdentity InstanceID=AMT) with HTTP Digest the way AMT consoles
 * do it (one nonce, growing nc), until {@code total} requests are answered. Reports throughput,
 * latency percentiles, errors, and — given the server's pid — its RSS, threads and open
 * descriptors before and after.
 *
 * <pre>java -cp benchmarks/target/classes org.vamt.bench.Soak host port user password total threads [pid]</pre>
 */
public final class Soak {
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"?([^\",]*)\"?");

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final byte[] body;
    private final AtomicLong remaining;
    private final AtomicLong errors = new AtomicLong();

    private Soak(String host, int port, String user, String password, long total) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.remaining = new AtomicLong(total);
        this.body = ("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</w:ResourceURI>"
                + "<a:MessageID>1</a:MessageID><w:SelectorSet><w:Selector Name=\"InstanceID\">AMT</w:Selector>"
                + "</w:SelectorSet></s:Header><s:Body></s:Body></s:Envelope>").getBytes(StandardCharsets.UTF_8);
    }

    /** One keep-alive connection with its Digest state; collects its latencies in microseconds. */
    private final class Worker implements Runnable {
        long[] latencies = new long[1 << 16];
        int count;
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private String nonce;
        private String realm;
        private int nc;

        @Override
        public void run() {
            while (remaining.getAndDecrement() > 0) {
                long start = System.nanoTime();
                try {
                    int status = exchange();
                    if (status == 401) {
                        status = exchange();
                    }
                    if (status != 200) {
                        errors.incrementAndGet();
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                    close();
                }
                if (count == latencies.length) {
                    latencies = Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = (System.nanoTime() - start) / 1_000;
            }
            close();
        }

        private int exchange() throws IOException {
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(host, port), 5_000);
                socket.setSoTimeout(30_000);
                in = new BufferedInputStream(socket.getInputStream(), 16_384);
                out = socket.getOutputStream();
            }
            StringBuilder head = new StringBuilder("POST /wsman HTTP/1.1\r\nHost: ").append(host).append(':').append(port)
                    .append("\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ")
                    .append(body.length).append("\r\n");
            if (nonce != null) {
                head.append("Authorization: ").append(authorization()).append("\r\n");
            }
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return readResponse();
        }

        private String authorization() {
            String ncText = String.format("%08x", ++nc);
            String cnonce = "0a4f113b";
            String ha1 = md5(user + ":" + realm + ":" + password);
            String ha2 = md5("POST:/wsman");
            return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce
                    + "\", uri=\"/wsman\", qop=auth, nc=" + ncText + ", cnonce=\"" + cnonce + "\", response=\""
                    + md5(ha1 + ":" + nonce + ":" + ncText + ":" + cnonce + ":auth:" + ha2) + "\"";
        }

        private int readResponse() throws IOException {
            String status = line();
            if (status == null) {
                throw new IOException("connection closed");
            }
            int code = Integer.parseInt(status.split(" ")[1]);
            int length = -1;
            boolean close = false;
            String header;
            while (!(header = line()).isEmpty()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(header.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                } else if (lower.startsWith("www-authenticate:")) {
                    Matcher m = PARAM.matcher(header.substring(header.indexOf("Digest") + 6));
                    while (m.find()) {
                        if (m.group(1).equals("nonce")) {
                            nonce = m.group(2);
                        } else if (m.group(1).equals("realm")) {
                            realm = m.group(2);
                        }
                    }
                    nc = 0;
                }
            }
            if (length > 0) {
                in.readNBytes(length);
            }
            if (close) {
                close();
            }
            return code;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
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

        private void close() {
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

    static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RSS in KiB, thread count and open descriptors of a process, from /proc. */
    static String processFacts(String pid) throws IOException {
        if (pid == null) {
            return "(no pid given)";
        }
        String rss = "?";
        String threads = "?";
        for (String l : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = l.substring(6).trim();
            } else if (l.startsWith("Threads:")) {
                threads = l.substring(8).trim();
            }
        }
        long fds;
        try (var s = Files.list(Path.of("/proc", pid, "fd"))) {
            fds = s.count();
        }
        return "RSS " + rss + ", threads " + threads + ", descriptors " + fds;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: Soak host port user password total threads [pid]");
            System.exit(2);
        }
        long total = Long.parseLong(args[4]);
        int threads = Integer.parseInt(args[5]);
        String pid = args.length > 6 ? args[6] : null;
        Soak soak = new Soak(args[0], Integer.parseInt(args[1]), args[2], args[3], total);
        System.out.println("before: " + processFacts(pid));
        Worker[] workers = new Worker[threads];
        Thread[] running = new Thread[threads];
        long start = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            workers[i] = soak.new Worker();
            running[i] = new Thread(workers[i], "soak-" + i);
            running[i].start();
        }
        for (Thread t : running) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int n = 0;
        for (Worker w : workers) {
            n += w.count;
        }
        long[] all = new long[n];
        int at = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, at, w.count);
            at += w.count;
        }
        Arrays.sort(all);
        System.out.printf("requests %d, errors %d, %.1f s, %.0f requests/s, threads %d%n", n, soak.errors.get(),
                seconds, n / seconds, threads);
        System.out.printf("latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n", all[n / 2] / 1000.0,
                all[(int) (n * 0.99)] / 1000.0, all[(int) (n * 0.999)] / 1000.0, all[n - 1] / 1000.0);
        System.out.println("after: " + processFacts(pid));
    }
}
