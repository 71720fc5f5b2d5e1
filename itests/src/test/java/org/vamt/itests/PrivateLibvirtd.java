package org.vamt.itests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A libvirtd of a test's own, as {@code nobody} (session mode: its state under {@code dir}, not the host's),
 * serving the test driver with the VMs of {@code vms} copied beside its socket: a daemon the test may stop
 * (SIGSTOP), kill and start again without touching the host's libvirt.
 */
final class PrivateLibvirtd implements AutoCloseable {
    private final Path dir;
    private Process process;

    private PrivateLibvirtd(Path dir) {
        this.dir = dir;
    }

    /** A fresh directory {@code dir} with its configuration and {@code vms}, and the daemon started in it. */
    static PrivateLibvirtd start(Path dir, Path vms) throws Exception {
        DistributionFiles.deleteTree(dir);
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("home"));
        Files.copy(vms, dir.resolve("vms.xml"));
        Path conf = dir.resolve("libvirtd.conf");
        Files.writeString(conf, "unix_sock_dir = \"" + run + "\"\nunix_sock_rw_perms = \"0777\"\n"
                + "auth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n");
        for (Path p : List.of(dir, run, dir.resolve("home"))) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        for (Path p : List.of(conf, dir.resolve("vms.xml"))) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
        for (Path p = dir.getParent(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new AssertionError(p + " is not searchable by nobody; the private libvirtd cannot reach "
                        + dir);
            }
        }
        PrivateLibvirtd d = new PrivateLibvirtd(dir);
        d.startDaemon();
        return d;
    }

    /** Starts the daemon (again, after {@link #kill}) and waits for its socket. */
    void startDaemon() throws Exception {
        Path run = dir.resolve("run");
        Files.deleteIfExists(socket());
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "env", "HOME=" + dir.resolve("home"), "XDG_RUNTIME_DIR=" + run,
                "XDG_CONFIG_HOME=" + dir.resolve("home"), "XDG_CACHE_HOME=" + dir.resolve("home"),
                "/usr/sbin/libvirtd", "-f", dir.resolve("libvirtd.conf").toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("libvirtd.log").toFile()));
        process = pb.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(socket())) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                throw new AssertionError("the private libvirtd did not start (needs root, setpriv and "
                        + "libvirt-daemon): " + Files.readString(dir.resolve("libvirtd.log")));
            }
            Thread.sleep(100);
        }
    }

    Process process() {
        return process;
    }

    Path socket() {
        return dir.resolve("run").resolve("libvirt-sock");
    }

    /** The URI vAMT reaches this daemon's test driver by. */
    String uri() {
        return "test+unix://" + dir.resolve("vms.xml") + "?socket=" + socket();
    }

    /** Ends the daemon at once (SIGKILL): its clients' connections are closed under them. */
    void kill() throws Exception {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            new ProcessBuilder("kill", "-CONT", String.valueOf(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
            kill();
        }
    }
}
