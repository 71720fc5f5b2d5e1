package org.vamt.redirection.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.redirection.RedirectionSettings;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;

/**
 * Issue 17 acceptance: "20 dripping connections do not keep an authenticated amtterm session off a
 * VM". The real redirection listener with its production limits (4 connections per VM, a 30 s
 * login deadline), the real users store and the libvirt test driver; the console is Debian's
 * {@code amtterm} (the SOL session starts against the test driver, which has no serial device).
 */
class AmttermDripTest {
    static final String PASSWORD = "Drip-Test-Passw0rd!";

    @TempDir
    Path etc;
    DemoHypervisor demo;
    RedirectionServer server;
    int port;
    final List<Socket> drippers = new ArrayList<>();
    final AtomicBoolean dripping = new AtomicBoolean(true);

    @BeforeEach
    void start() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/amtterm")) && Files.isExecutable(Path.of("/usr/bin/script")),
                "this test drives Debian's amtterm through script(1): apt-get install amtterm bsdutils");
        demo = DemoHypervisor.start();
        UserStore users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // the production defaults of maxSessionsPerVm, maxSessions and authTimeoutSeconds; amtterm 1.4
        // knows only the user/password login
        server = new RedirectionServer(demo.hypervisor(), TestSecurity.create(users, 3, 60_000, 600_000, e -> { }),
                new RedirectionServerTest().endpointsForTests(), TestConfigs.of(RedirectionServer.Config.class,
                Map.of("bindAddress", "0.0.0.0", "port", port, "tlsPort", 0, "allowPlainAuth", true,
                        "maxSessionsPerVm", 4, "maxSessions", 64, "authTimeoutSeconds", 30,
                        "idleTimeoutSeconds", 300)), null);
        new StateStore<>(demo.hypervisor(), RedirectionSettings.STATE).update(KIOSK, s -> s.withListenerEnabled(true));
    }

    @AfterEach
    void stop() throws IOException {
        dripping.set(false);
        for (Socket s : drippers) {
            s.close();
        }
        server.deactivate();
        demo.close();
    }

    @Test
    void twentyDrippingConnectionsDoNotKeepAnAmttermSessionOffTheVm() throws Exception {
        // 20 connections that start a SOL session and then drip an AuthenticateSession that announces
        // 200 bytes, one byte every 300 ms: none of them ever logs in, none reaches the 30 s deadline
        AtomicInteger open = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            Socket s = new Socket(RedirectionServerTest.ADDRESS, port);
            s.getOutputStream().write(new byte[] {0x10, 0, 0, 0, 'S', 'O', 'L', ' ', 0x13, 0, 0, 0, 4, (byte) 200, 0,
                0, 0});
            drippers.add(s);
            open.incrementAndGet();
        }
        Thread drip = new Thread(() -> {
            while (dripping.get()) {
                for (Socket s : drippers) {
                    try {
                        s.getOutputStream().write('x');
                    } catch (IOException closed) {
                        // pushed out by the server: the attacker's loss
                    }
                }
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        drip.setDaemon(true);
        drip.start();

        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec",
                "amtterm -u admin " + RedirectionServerTest.ADDRESS + " " + port, "/dev/null").redirectErrorStream(true);
        pb.environment().put("AMT_PASSWORD", PASSWORD);
        pb.environment().put("TERM", "dumb");
        Process amtterm = pb.start();
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] b = new byte[4096];
            int n;
            try (InputStream in = amtterm.getInputStream()) {
                while ((n = in.read(b)) > 0) {
                    synchronized (transcript) {
                        transcript.write(b, 0, n);
                    }
                }
            } catch (IOException e) {
                // amtterm ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            boolean connected = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!connected && System.nanoTime() < deadline && amtterm.isAlive()) {
                synchronized (transcript) {
                    connected = transcript.toString(StandardCharsets.UTF_8).contains("use ^] to escape");
                }
                if (!connected) {
                    Thread.sleep(50);
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            String text;
            synchronized (transcript) {
                text = transcript.toString(StandardCharsets.UTF_8);
            }
            assertTrue(connected, "amtterm logged in and started SOL within 5 s despite 20 dripping connections; "
                    + "after " + millis + " ms it printed:\n" + text);
            System.out.println("amtterm in after " + millis + " ms with 20 dripping connections");
            amtterm.getOutputStream().write(0x1d);   // ^] ends amtterm
            amtterm.getOutputStream().flush();
            assertTrue(amtterm.waitFor(10, TimeUnit.SECONDS), "amtterm exits on ^]");
        } finally {
            amtterm.destroyForcibly();
        }
    }
}
