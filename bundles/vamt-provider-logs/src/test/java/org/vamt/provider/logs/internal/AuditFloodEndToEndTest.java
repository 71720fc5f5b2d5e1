package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.wsman.internal.WsmanService;

/**
 * Issue 17 acceptance: "100,000 failed logins with invented names leave the last real audit
 * records in place", end to end: real Jetty through CXF, the real door, Digest and lockout, the
 * WS-Management handler and CIMOM, the real users store, and this bundle's audit log on the
 * libvirt test driver. The real records are read back through WS-Management as a console does.
 */
class AuditFloodEndToEndTest {
    static final String PASSWORD = "P@ssw0rd-flood";
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final int FLOOD = Integer.getInteger("vamt.auditFlood", 100_000);
    static final int REAL = 12;

    @TempDir
    Path dir;
    DemoHypervisor demo;
    TestTransport transport;
    int port;
    DigestClient admin;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UserStore users = UserStore.open(dir.resolve("users.properties"), PASSWORD, p -> { });
        AuditLogProvider audit = new AuditLogProvider(demo.hypervisor(), dir.resolve("audit"));
        WsmanService wsman = new WsmanService(new TestCimom().serve(audit, "AMT_AuditLog").realm("AMT_AuditLog", "20")
                .access(users::permits).manager(), TestConfigs.of(WsmanService.Config.class,
                Map.of("enumerationIdleSeconds", 60L, "maxEnumerationsPerUser", 4)));
        transport = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, audit), 65536, 8, 2_000, 10_000)
                .machine(DESKTOP_01, "desktop-01").serve(wsman, "/wsman").listen(port);
        admin = new DigestClient("http://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
    }

    @AfterEach
    void stop() {
        transport.close();
        demo.close();
    }

    static String invoke(String cls, String method, String args) {
        return invokeUri(AMT + cls, method, args);
    }

    /** A WS-Management Invoke of {@code method} on the class at {@code uri}, without selectors. */
    static String invokeUri(String uri, String method, String args) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + uri + "/" + method + "</a:Action><a:To>/wsman</a:To>"
                + "<w:ResourceURI>" + uri + "</w:ResourceURI><a:MessageID>1</a:MessageID></s:Header><s:Body>"
                + "<h:" + method + "_INPUT xmlns:h=\"" + uri + "\">" + args + "</h:" + method + "_INPUT>"
                + "</s:Body></s:Envelope>";
    }

    List<byte[]> readAll() throws Exception {
        return readAll(admin);
    }

    /** Every record of the log, oldest first, read ten at a time through WS-Management as {@code admin}. */
    static List<byte[]> readAll(DigestClient admin) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (int start = 1; ; start += 10) {
            HttpResponse<String> r = admin.post(invoke("AMT_AuditLog", "ReadRecords",
                    "<h:StartIndex>" + start + "</h:StartIndex>"));
            assertEquals(200, r.statusCode(), r.body());
            Matcher m = Pattern.compile("EventRecords>([^<]+)<").matcher(r.body());
            int n = 0;
            while (m.find()) {
                out.add(Base64.getDecoder().decode(m.group(1)));
                n++;
            }
            Matcher total = Pattern.compile("TotalRecordCount>(\\d+)<").matcher(r.body());
            assertTrue(total.find(), r.body());
            if (n == 0 || start + 10 > Integer.parseInt(total.group(1))) {
                return out;
            }
        }
    }

    static String initiator(byte[] record) {
        return new String(record, 6, record[5], StandardCharsets.UTF_8);
    }

    static int event(byte[] record) {
        return ((record[0] & 0xFF) << 24) | ((record[1] & 0xFF) << 16) | ((record[2] & 0xFF) << 8) | (record[3] & 0xFF);
    }

    @Test
    void aHundredThousandFailedLoginsWithInventedNamesLeaveTheRealRecordsInPlace() throws Exception {
        // real, audited administrator actions: "Security Audit Policy Modified" (20/1)
        for (int i = 0; i < REAL; i++) {
            HttpResponse<String> r = admin.post(invoke("AMT_AuditLog", "SetStoragePolicy",
                    "<h:StoragePolicy>1</h:StoragePolicy>"));
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("ReturnValue>0<"), r.body());
        }
        List<byte[]> before = readAll();
        assertEquals(REAL, before.size());
        String realm = admin.realm();

        long t0 = System.nanoTime();
        AtomicInteger refused = new AtomicInteger();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int lane = t;
            work.add(pool.submit(() -> {
                byte[] answer = new byte[12];
                for (int i = lane; i < FLOOD; i += threads) {
                    // many sources, each name new: neither the lockout nor a per-source limit applies
                    InetAddress from = InetAddress.getByName("127.0." + (1 + i % 200 / 100) + "." + (10 + i % 100));
                    String request = "POST /wsman HTTP/1.1\r\nHost: 127.0.0.2:" + port + "\r\nAuthorization: Digest "
                            + "username=\"ghost-" + i + "\", realm=\"" + realm + "\", nonce=\"bm9uY2Uw" + i
                            + "\", uri=\"/wsman\", response=\"00000000000000000000000000000000\", qop=auth, "
                            + "nc=00000001, cnonce=\"c" + i + "\"\r\nContent-Length: 0\r\n\r\n";
                    try (Socket s = new Socket()) {
                        s.bind(new InetSocketAddress(from, 0));
                        s.connect(new InetSocketAddress("127.0.0.2", port), 5_000);
                        s.setSoTimeout(10_000);
                        s.setSoLinger(true, 0);
                        OutputStream out = s.getOutputStream();
                        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        InputStream in = s.getInputStream();
                        int n = in.readNBytes(answer, 0, 12);
                        if (n == 12 && new String(answer, StandardCharsets.ISO_8859_1).equals("HTTP/1.1 401")) {
                            refused.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();
        long seconds = Math.max(1, (System.nanoTime() - t0) / 1_000_000_000L);
        assertEquals(FLOOD, refused.get(), "every invented name got a 401");

        List<byte[]> after = readAll();
        List<byte[]> real = after.stream().filter(r -> initiator(r).equals("admin")).toList();
        assertEquals(REAL, real.size(), "the real records are all still there");
        for (int i = 0; i < REAL; i++) {
            assertEquals((20 << 16) | 1, event(real.get(i)));
        }
        long ghosts = after.size() - REAL;
        long allowed = 10 * (seconds / 60 + 2);
        assertTrue(ghosts <= allowed, ghosts + " records of invented names in " + seconds + " s; at most " + allowed);
        assertTrue(ghosts >= 1, "invented names are still audited, a few a minute");
        System.out.printf("%d failed logins with invented names in %d s: %d audited, %d real records kept%n", FLOOD,
                seconds, ghosts, real.size());
    }
}
