package org.vamt.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The real hypervisor side of {@link RealGuestIT}: {@code tools/real-hypervisor}, {@code virsh} on
 * qemu:///system and the guests' serial logs. Only for observing and for setting up the test's own
 * domains (names starting with {@value #PREFIX}); everything the test checks is done through vAMT.
 */
final class RealGuest {
    static final String URI = "qemu:///system";
    static final String PREFIX = "vamt-it7-";
    static final Path LOGS = Paths.get("/var/log/libvirt/qemu");

    final String name;
    final String uuid;
    final String mac;
    final Path serialLog;

    RealGuest(String suffix, String uuidTail, String mac) {
        this.name = PREFIX + suffix;
        this.uuid = "5f1a0c3e-0000-4000-8000-000000000" + uuidTail;
        this.mac = mac;
        this.serialLog = LOGS.resolve(name + "-serial.log");
    }

    // ---------------------------------------------------------------- the hypervisor

    /** Where the repository is: from the container's system property, else from Maven's basedir. */
    static Path repoRoot() {
        String given = System.getProperty("vamt.repo.root");
        if (given != null && !given.isBlank()) {
            return Paths.get(given);
        }
        Path dir = Paths.get(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("tools/real-hypervisor"))) {
                return p;
            }
        }
        throw new AssertionError("cannot find tools/real-hypervisor above " + dir
                + " (set -Dvamt.repo.root to the repository)");
    }

    /**
     * Runs {@code tools/real-hypervisor start}; fails with its own words when the hypervisor cannot
     * start (no root, packages missing, libvirtd not answering…). Never skips.
     */
    static void startHypervisor() {
        Path script = repoRoot().resolve("tools/real-hypervisor");
        Result r = run(900, script.toString(), "start");
        if (r.code != 0) {
            throw new AssertionError("the real hypervisor (libvirtd + QEMU on " + URI + ") cannot start: "
                    + script + " start exited " + r.code + ":\n" + r.output);
        }
    }

    record Result(int code, String output) {
    }

    static Result run(long timeoutSeconds, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    static String virsh(String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(List.of(args));
        Result r = run(60, cmd.toArray(String[]::new));
        if (r.code != 0) {
            throw new AssertionError("virsh " + String.join(" ", args) + " failed (" + r.code + "): " + r.output);
        }
        return r.output;
    }

    static Result virshMayFail(String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(List.of(args));
        return run(60, cmd.toArray(String[]::new));
    }

    /** Defines the domain afresh from {@code xml} (destroying and undefining a leftover first). */
    void define(String xml) throws IOException {
        remove();
        Path file = Files.createTempFile(name, ".xml");
        try {
            Files.writeString(file, xml);
            virsh("define", file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Destroys and undefines the domain if it exists; removes its logs. */
    void remove() throws IOException {
        closeConsole();
        virshMayFail("destroy", uuid);
        virshMayFail("undefine", uuid, "--nvram");
        virshMayFail("undefine", uuid);
        Files.deleteIfExists(serialLog);
        Files.deleteIfExists(LOGS.resolve(name + ".log"));   // libvirt's own log of the domain
    }

    String domstate() {
        Result r = virshMayFail("domstate", uuid);
        return r.code == 0 ? r.output.lines().findFirst().orElse("").trim() : "(" + r.output + ")";
    }

    /** {@code virsh domstate --reason}, e.g. "shut off (destroyed)". */
    String virshShutoffReason() {
        return virshMayFail("domstate", uuid, "--reason").output();
    }

    /** QEMU's domain id: a new one for every fresh QEMU process, kept across resets. */
    String domid() {
        return virsh("domid", uuid).trim();
    }

    int liveVcpus() {
        return Integer.parseInt(virsh("vcpucount", uuid, "--live", "--current").trim());
    }

    int configVcpus() {
        return Integer.parseInt(virsh("vcpucount", uuid, "--config", "--current").trim());
    }

    String liveXml() {
        return virsh("dumpxml", uuid);
    }

    String inactiveXml() {
        return virsh("dumpxml", "--inactive", uuid);
    }

    // ---------------------------------------------------------------- the serial console

    /** The serial log so far, without carriage returns. */
    String serial() {
        try {
            return Files.exists(serialLog)
                    ? new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1).replace("\r", "") : "";
        } catch (IOException e) {
            return "";
        }
    }

    int count(String text) {
        String s = serial();
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }

    /** Waits until {@code text} occurs at least {@code times} times in the serial log. */
    void awaitSerial(String text, int times, long timeoutMs) {
        await("'" + text + "' x" + times + " in " + serialLog, timeoutMs, () -> count(text) >= times);
    }

    /** The open serial console (pty), kept open: see {@link #type}. */
    private java.io.RandomAccessFile console;
    private String consolePty;

    /**
     * Types on the guest's serial console through its pty (QEMU keeps it in raw mode). The pty stays
     * open: QEMU notices a connected pty only on its next check (about once a second) and ignores it
     * while nobody has it open; a thread drains what the guest prints, so QEMU's writes never stall
     * (the serial log file is where the test reads the output).
     */
    synchronized void type(String text) throws IOException {
        String pty = virsh("ttyconsole", uuid).trim();
        String key = pty + " of QEMU " + domid();   // a new QEMU may get the same pty number
        if (console == null || !key.equals(consolePty)) {
            closeConsole();
            java.io.RandomAccessFile opened = new java.io.RandomAccessFile(pty, "rw");
            Thread drain = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try {
                    while (opened.read(buffer) >= 0) {
                        // discarded: the log file has it all
                    }
                } catch (IOException e) {
                    // closed, or the QEMU process is gone
                }
            }, "vamt-it7-console-" + name);
            drain.setDaemon(true);
            drain.start();
            console = opened;
            consolePty = key;
            try {
                Thread.sleep(1_500);   // until QEMU has seen the connection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        console.write(text.getBytes(StandardCharsets.US_ASCII));
    }

    synchronized void closeConsole() {
        if (console != null) {
            try {
                console.close();
            } catch (IOException e) {
                // already gone
            }
            console = null;
            consolePty = null;
        }
    }

    /**
     * Types a command line and returns what it printed: the line prints a begin and an end marker
     * around the command's output. The typed line (echoed, and wrapped at 80 columns) holds each
     * marker split by quotes, so only the output has them whole.
     */
    String console(String command, long timeoutMs) throws IOException {
        String id = String.valueOf(System.nanoTime());
        String begin = "__IT7B_" + id + "__";
        String end = "__IT7E_" + id + "__";
        type("echo __IT7B_\"\"" + id + "__; " + command + "; echo __IT7E_\"\"" + id + "__\r");
        await("console answer to '" + command + "'", timeoutMs, () -> count(end) > 0);
        String s = serial();
        int to = s.lastIndexOf(end);
        int from = s.lastIndexOf(begin, to);
        return from < 0 ? s.substring(0, to) : s.substring(from + begin.length(), to);
    }

    /** Logs in as root on the serial console when the last prompt is the login prompt. */
    void login() throws IOException {
        String s = serial();
        int prompt = s.lastIndexOf("vamt-guest login:");
        int shell = s.lastIndexOf("built-in shell");
        if (prompt >= 0 && prompt > shell) {
            int shells = count("built-in shell");
            type("root\r");
            awaitSerial("built-in shell", shells + 1, 20_000);
        }
    }

    // ---------------------------------------------------------------- waiting

    static void await(String what, long timeoutMs, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs / 1000.0 + " s waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    void awaitState(String state, long timeoutMs) {
        await(name + " " + state + " (virsh domstate)", timeoutMs, () -> state.equals(domstate()));
    }
}
