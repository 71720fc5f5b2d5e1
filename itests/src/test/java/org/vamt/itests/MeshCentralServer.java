package org.vamt.itests;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An unmodified MeshCentral (the npm package the suite installs) with its MPS, on loopback only,
 * for the CIRA tests: its web server on {@code webPort} and its MPS on {@code mpsPort} (exactPorts:
 * it fails rather than move), an admin account, and meshctrl to drive it as an operator would.
 * MeshCentral's AMT manager logs in to the devices as {@code admin} with {@code amtPassword}.
 */
final class MeshCentralServer {
    static final String HOST_NAME = "mc.cira.test";
    static final String ADMIN_PASSWORD = "Mc-Admin-Pw1!";

    final Path meshcentral;
    final Path data;
    final int webPort;
    final int mpsPort;
    private Process process;

    MeshCentralServer(Path nodeDir, Path data, int webPort, int mpsPort) {
        this.meshcentral = nodeDir.resolve("node_modules/meshcentral");
        this.data = data;
        this.webPort = webPort;
        this.mpsPort = mpsPort;
        if (!Files.isDirectory(meshcentral)) {
            fail("Node packages missing: run 'npm ci --omit=optional --ignore-scripts' in " + nodeDir);
        }
    }

    /** Writes the configuration and the admin account, then starts the server. */
    void create(String amtPassword) throws Exception {
        Files.createDirectories(data);
        Files.writeString(data.resolve("config.json"), """
                {
                  "settings": {
                    "cert": "%s", "WANonly": true,
                    "port": %d, "portBind": "127.0.0.1", "exactPorts": true, "redirPort": 0,
                    "mpsPort": %d, "mpsPortBind": "127.0.0.1",
                    "amtScanner": false, "meshScanner": false, "selfUpdate": false, "noAgentUpdate": true,
                    "debug": "mps,mpscmd,amt,web"
                  },
                  "domains": { "": { "newAccounts": false,
                    "amtManager": { "adminAccounts": [ { "user": "admin", "pass": "%s" } ] } } }
                }
                """.formatted(HOST_NAME, webPort, mpsPort, amtPassword));
        command("--createaccount", "admin", "--pass", ADMIN_PASSWORD, "--name", "admin");
        command("--adminaccount", "admin");
        start();
    }

    /** Makes an "Intel AMT only" device group; answers the CIRA user name MeshCentral expects for it. */
    String addAmtOnlyGroup(String name) throws Exception {
        String group = meshctrl("adddevicegroup", "--name", name, "--amtonly").trim();
        assertTrue(group, group.startsWith("ok mesh//"));
        // the group id's first 16 characters, '@' and '$' as 'X'
        return group.substring("ok mesh//".length(), "ok mesh//".length() + 16).replace('@', 'X').replace('$', 'X');
    }

    /** The root certificate MeshCentral signs its MPS (and web) certificate with: the VMs' trust anchor. */
    Path rootCertificate() {
        return data.resolve("root-cert-public.crt");
    }

    /** The server's base address for web clients (its web relay, meshctrl). */
    String webAddress() {
        return "https://127.0.0.1:" + webPort;
    }

    private void command(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", meshcentral.resolve("meshcentral").toString(),
                "--datapath", data.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("meshcentral " + String.join(" ", args) + " did not finish: " + out, p.waitFor(120, TimeUnit.SECONDS));
    }

    void start() throws Exception {
        process = new ProcessBuilder("node", meshcentral.resolve("meshcentral").toString(), "--datapath", data.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
        long deadline = System.currentTimeMillis() + 180_000;
        while (!log().contains("HTTPS server running on " + HOST_NAME + ":" + webPort)
                || countInLog("Intel(R) AMT server running") < countInLog("HTTPS server running on")) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                fail("MeshCentral did not start (is port " + webPort + " or " + mpsPort + " taken?): " + log());
            }
            Thread.sleep(200);
        }
    }

    void stop() throws Exception {
        if (process != null) {
            RestartIT.killTree(process);
            process = null;
        }
    }

    Path logFile() {
        return data.resolveSibling(data.getFileName() + ".log");
    }

    String log() throws IOException {
        return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "";
    }

    int countInLog(String text) throws IOException {
        return log().split(Pattern.quote(text), -1).length - 1;
    }

    /** One meshctrl command as the admin; answers its output. */
    String meshctrl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", meshcentral.resolve("meshctrl.js").toString(), "--url",
                "wss://127.0.0.1:" + webPort, "--loginuser", "admin", "--loginpass", ADMIN_PASSWORD));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("meshctrl " + String.join(" ", args) + " did not finish", p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    /** MeshCentral's node id of a CIRA device in an "Intel AMT only" group: base64 of its UUID three times. */
    static String nodeId(String uuid) {
        UUID u = UUID.fromString(uuid);
        ByteBuffer b = ByteBuffer.allocate(48);
        for (int i = 0; i < 3; i++) {
            b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        }
        return "node//" + Base64.getEncoder().encodeToString(b.array()).replace('+', '@').replace('/', '$');
    }

    /** The device's entry of meshctrl listdevices --json (one flat object but for intelamt), or null. */
    static String device(String listing, String uuid) {
        int at = listing.indexOf("\"_id\": \"" + nodeId(uuid) + "\"");
        if (at < 0) {
            return null;
        }
        int start = listing.lastIndexOf('{', at);
        int end = listing.indexOf("\"groupname\"", at);
        return listing.substring(start, end < 0 ? listing.length() : end);
    }

    static String jsonField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\\s*(\"[^\"]*\"|[^,}\\s]+)").matcher(json);
        return m.find() ? m.group(1).replaceAll("^\"|\"$", "") : null;
    }

    /** Whether the listing shows the device connected through CIRA (conn bit 2) with its AMT version read. */
    static boolean ciraConnectedAndManaged(String listing, String uuid) {
        String d = device(listing, uuid);
        String conn = d == null ? null : jsonField(d, "conn");
        return conn != null && (Integer.parseInt(conn) & 2) != 0 && jsonField(d, "ver") != null;
    }

    /**
     * Polls meshctrl until the devices are CIRA-connected with their AMT version read through the
     * tunnel; answers the last listing, or null when they never were (the caller fails with its view).
     */
    String awaitCiraConnected(long millis, String... uuids) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            String listing = meshctrl("listdevices", "--json");
            boolean all = true;
            for (String uuid : uuids) {
                all &= ciraConnectedAndManaged(listing, uuid);
            }
            if (all) {
                return listing;
            }
            Thread.sleep(500);
        }
        return null;
    }
}
