package org.vamt.remote.internal.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.karaf.shell.support.CommandException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.PeerRole;

/**
 * The vamt:link-* commands as the console runs them (their execute(), on real files of two peers' etc
 * directories): the operator's whole path from a new CA to a revoked node, the console output, and the
 * one-line refusals of what an operator can get wrong.
 */
class LinkCommandsTest {
    private static final Pattern BUNDLE_PASSWORD = Pattern.compile("Bundle password, shown only this once \\(not "
            + "stored, not logged\\): (\\S+)");

    @TempDir
    Path dir;

    /** Runs a command on {@code etc} and returns what it printed on the console. */
    private static String run(LinkCommand command, Path etc) throws Exception {
        command.etc = etc;
        PrintStream console = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String threadName = Thread.currentThread().getName();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            command.execute();
        } finally {
            System.setOut(console);
            assertEquals(threadName, Thread.currentThread().getName(), "the command gives its thread its name back");
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static LinkCertIssue issue(String id, String role, boolean install, String out, String... ips) {
        LinkCertIssue c = new LinkCertIssue();
        c.id = id;
        c.role = role;
        c.install = install;
        c.out = out;
        c.ips = List.of(ips);
        return c;
    }

    private static LinkCertInstall install(Path bundle, String password) {
        LinkCertInstall c = new LinkCertInstall();
        c.bundle = bundle.toString();
        c.password = password;
        return c;
    }

    @Test
    void fromANewCaToARevokedNode() throws Exception {
        // as the features leave them: the gateway's and the node's configuration say what each peer is
        Path gateway = Files.createDirectories(dir.resolve("gateway-1/etc"));
        Files.writeString(gateway.resolve(PeerRole.GATEWAY_CONFIG), "pollMillis = 1000\n");
        Path node = Files.createDirectories(dir.resolve("node-a/etc"));
        Files.writeString(node.resolve(PeerRole.NODE_CONFIG), "vamt.node.id = node-a\n");
        String created = run(new LinkCaCreate(), gateway);
        assertTrue(created.contains("Created the link CA CN=vAMT link CA,O=vAMT link"), created);
        CommandException notAGateway = assertThrows(CommandException.class,
                () -> run(issue("gateway-1", "node", true, null), gateway));
        assertTrue(notAGateway.getMessage().contains("this peer is a gateway")
                && notAGateway.getMessage().contains("--role gateway"), notAGateway.getMessage());
        assertTrue(run(issue("gateway-1", "gateway", true, null), gateway).contains("It is this peer's link certificate now"));

        // a gateway's certificate (of another id, so revoking node-a below stays one certificate): a node refuses it
        Path wrongRole = dir.resolve("gateway-x.p12");
        Matcher w = BUNDLE_PASSWORD.matcher(run(issue("gateway-x", "gateway", false, wrongRole.toString()), gateway));
        assertTrue(w.find());
        CommandException refused = assertThrows(CommandException.class, () -> run(install(wrongRole, w.group(1)), node));
        assertTrue(refused.getMessage().contains("this peer is a node") && refused.getMessage().contains("serverAuth")
                && refused.getMessage().contains("--role node"), refused.getMessage());
        assertFalse(Files.exists(node.resolve(LinkTls.KEYSTORE)), "nothing installed");

        Path bundle = dir.resolve("node-a-link.p12");
        String issued = run(issue("node-a", "node", false, bundle.toString(), "127.0.0.1", "::1"), gateway);
        assertTrue(issued.contains("Issued the link certificate of node node-a (extended key usage serverAuth): serial "),
                issued);
        Matcher m = BUNDLE_PASSWORD.matcher(issued);
        assertTrue(m.find(), issued);
        String password = m.group(1);

        CommandException wrong = assertThrows(CommandException.class, () -> run(install(bundle, "not-it"), node));
        assertTrue(wrong.getMessage().contains("wrong password"), wrong.getMessage());
        String installed = run(install(bundle, password), node);
        assertTrue(installed.contains("This peer's link certificate is now CN=node-a,O=vAMT link"), installed);
        assertTrue(installed.contains("Role: node (serverAuth)"), installed);
        assertTrue(installed.contains("The link trusts the CA CN=vAMT link CA,O=vAMT link"), installed);
        assertEquals("node-a", LinkTls.peerId(LinkTls.load(node).certificate()));
        assertNoFileHolds(password, dir);

        String list = run(new LinkCertList(), gateway);
        assertTrue(list.contains("This peer: CN=gateway-1,O=vAMT link"), list);
        assertTrue(list.contains("Role: gateway (clientAuth)\n"), list);
        assertTrue(list.matches("(?s).*gateway-1\\s*\\|\\s*gateway\\s*\\|\\s*\\S+\\s*\\|\\s*valid.*"), list);
        assertTrue(list.matches("(?s).*gateway-x\\s*\\|\\s*gateway\\s*\\|\\s*\\S+\\s*\\|\\s*valid.*"), list);
        assertTrue(list.matches("(?s).*node-a\\s*\\|\\s*node\\s*\\|\\s*\\S+\\s*\\|\\s*valid.*"), list);

        LinkCertRevoke revoke = new LinkCertRevoke();
        revoke.what = "node-a";
        String revoked = run(revoke, gateway);
        assertTrue(revoked.contains("Revoked the certificate of node-a") && revoked.contains("CRL number 2"), revoked);
        assertTrue(run(new LinkCertList(), gateway).matches(
                "(?s).*node-a\\s*\\|\\s*node\\s*\\|\\s*\\S+\\s*\\|\\s*revoked .*"));

        LinkCrlInstall crl = new LinkCrlInstall();
        crl.file = gateway.resolve(LinkTls.CRL).toString();
        assertTrue(run(crl, node).contains("Installed CRL number 2 of CN=vAMT link CA,O=vAMT link: 1 revoked"));
        String nodeList = run(new LinkCertList(), node);
        assertTrue(nodeList.contains("This peer: CN=node-a,O=vAMT link") && nodeList.contains("CRL: number 2, 1 revoked"),
                nodeList);
        assertFalse(nodeList.contains("Issued by this peer's CA"), "a node holds no CA: " + nodeList);
    }

    @Test
    void mistakesAreOneLineRefusals() throws Exception {
        Path gateway = dir.resolve("gateway-1/etc");
        Path node = dir.resolve("node-a/etc");
        CommandException noCa = assertThrows(CommandException.class, () -> run(issue("node-a", "node", false, null), node));
        assertTrue(noCa.getMessage().contains("does not hold the link CA"), noCa.getMessage());
        run(new LinkCaCreate(), gateway);
        CommandException twice = assertThrows(CommandException.class, () -> run(new LinkCaCreate(), gateway));
        assertTrue(twice.getMessage().contains("never overwritten"), twice.getMessage());
        CommandException badIp = assertThrows(CommandException.class,
                () -> run(issue("node-a", "node", false, null, "node-a.example.org"), gateway));
        assertEquals("'node-a.example.org' is not an IP address", badIp.getMessage());
        CommandException badId = assertThrows(CommandException.class, () -> run(issue("-x", "node", false, null), gateway));
        assertTrue(badId.getMessage().contains("is not a peer id"), badId.getMessage());
        CommandException badRole = assertThrows(CommandException.class,
                () -> run(issue("node-a", "server", false, null), gateway));
        assertTrue(badRole.getMessage().startsWith("'server' is not a role: node"), badRole.getMessage());
        LinkCertRevoke revoke = new LinkCertRevoke();
        revoke.what = "node-z";
        CommandException unknown = assertThrows(CommandException.class, () -> run(revoke, gateway));
        assertTrue(unknown.getMessage().contains("no certificate issued to a peer or with a serial 'node-z'"));
        CommandException missing = assertThrows(CommandException.class,
                () -> run(install(dir.resolve("no-such.p12"), "x"), node));
        assertTrue(missing.getMessage().startsWith("no file "), missing.getMessage());
        Path bundle = dir.resolve("taken.p12");
        Files.writeString(bundle, "someone else's file");
        CommandException exists = assertThrows(CommandException.class,
                () -> run(issue("node-a", "node", false, bundle.toString()), gateway));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        assertEquals("someone else's file", Files.readString(bundle));
        CommandException noPassword = assertThrows(CommandException.class, () -> run(install(bundle, null), node));
        assertTrue(noPassword.getMessage().contains("--password"), noPassword.getMessage());
    }

    private static void assertNoFileHolds(String secret, Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(secret),
                        "the bundle password is stored in clear in " + f);
            }
        }
    }
}
