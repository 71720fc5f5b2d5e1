package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Each listener owns its port: closing one frees that port and leaves the other listeners serving,
 * and CXF's engine factory no longer tries (and warns that it fails) to shut down the others' engines.
 */
class CxfHttpListenerTest {
    @Test
    void closingOneListenerFreesItsPortAndLeavesTheOthersAlone() throws Exception {
        try (TestTransport transport = new TestTransport(RawHttp.security(), 65536, 4, 200, 5_000)) {
            int[] ports = RawHttp.freePorts(2);
            int closedPort = ports[0];
            int keptPort = ports[1];
            CxfHttpListener closed = new CxfHttpListener("127.0.0.1", closedPort, transport.door());
            CxfHttpListener kept = new CxfHttpListener("127.0.0.1", keptPort, transport.door());
            try {
                // CXF logs through SLF4J, whose simple binding in these tests writes to System.err
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                PrintStream err = System.err;
                System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
                try {
                    closed.close();
                } finally {
                    System.setErr(err);
                }
                err.print(log.toString(StandardCharsets.UTF_8));
                assertFalse(log.toString(StandardCharsets.UTF_8).contains("still in use"),
                        "closing one listener leaves the other listeners' engines alone: " + log);
                assertFalse(listening(closedPort), "the closed listener's port is free");
                assertTrue(statusLine(keptPort).startsWith("HTTP/1.1 "), "the other listener still answers");
            } finally {
                kept.close();
            }
            assertFalse(listening(keptPort));
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    private static String statusLine(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET /wsman HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readNBytes(9), StandardCharsets.ISO_8859_1);
        }
    }
}
