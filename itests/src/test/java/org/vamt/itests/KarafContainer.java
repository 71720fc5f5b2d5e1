package org.vamt.itests;

import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOptions;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;

/**
 * The Pax Exam configuration of the real vAMT distribution, shared by the Karaf test classes. Each
 * class runs its own container, so each gets its own ports: WS-Management on {@code wsmanPort},
 * Karaf's own services on {@code <digit>8181}, {@code <digit>8101}, {@code <digit>1099} and
 * {@code <digit>4444}.
 */
final class KarafContainer {
    private KarafContainer() {
    }

    /** The Karaf version of the distribution, and of the stock Karaf the features are tried in. */
    static final String KARAF = "4.4.10";

    static Option[] options(String name, int wsmanPort, int digit) {
        if (digit < 1 || digit > 5) {
            // 68181 and up are not ports: Karaf would start without its HTTP and SSH services
            throw new IllegalArgumentException("digit " + digit + " gives invalid ports; give the ports one by one");
        }
        return options(name, wsmanPort, digit + "8181", digit + "8101", digit + "1099", digit + "4444");
    }

    /** The distribution with Karaf's HTTP, SSH, RMI registry and RMI server ports given one by one. */
    static Option[] options(String name, int wsmanPort, String http, String ssh, String rmiRegistry, String rmiServer) {
        return common(karafDistributionConfiguration()
                .frameworkUrl(maven().groupId("org.vamt").artifactId("vamt-distribution")
                    .version(System.getProperty("vamt.version")).type("tar.gz"))
                .name("vamt").unpackDirectory(new File("target/" + name)).useDeployFolder(false),
            wsmanPort, http, ssh, rmiRegistry, rmiServer);
    }

    /**
     * A stock Apache Karaf (the tar.gz Apache publishes) with nothing of vAMT in it: tests install
     * the features repository themselves. Only the WS-Management ports are preset in
     * etc/org.vamt.wsman.cfg, which the vamt-wsman feature's configfile then leaves as it is.
     */
    static Option[] stockKaraf(String name, int wsmanPort, String http, String ssh, String rmiRegistry,
                               String rmiServer) {
        return common(karafDistributionConfiguration()
                .frameworkUrl(maven().groupId("org.apache.karaf").artifactId("apache-karaf")
                    .version(KARAF).type("tar.gz"))
                .name("Apache Karaf").unpackDirectory(new File("target/" + name)).useDeployFolder(false),
            wsmanPort, http, ssh, rmiRegistry, rmiServer);
    }

    private static Option[] common(Option distribution, int wsmanPort, String http, String ssh,
                                   String rmiRegistry, String rmiServer) {
        String karaf = KARAF;
        return new Option[] {
            distribution,
            keepRuntimeFolder(),
            logLevel(LogLevel.INFO),
            configureConsole().ignoreLocalConsole(),
            editConfigurationFilePut("etc/org.vamt.wsman.cfg", "port", String.valueOf(wsmanPort)),
            editConfigurationFilePut("etc/org.vamt.wsman.cfg", "tlsPort", String.valueOf(wsmanPort + 1)),
            // Pax Exam installs its own probe feature from Maven: let the container use the build's repository.
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository",
                System.getProperty("org.ops4j.pax.url.mvn.localRepository")),
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories",
                "https://repo1.maven.org/maven2@id=central"),
            editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", http),
            editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", ssh),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", rmiRegistry),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", rmiServer),
            systemProperty("vamt.version").value(System.getProperty("vamt.version")),
            vmOptions("--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karaf + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karaf + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED"),
        };
    }
}
