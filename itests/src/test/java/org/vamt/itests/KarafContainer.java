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

    static Option[] options(String name, int wsmanPort, int digit) {
        String karaf = "4.4.10";
        return new Option[] {
            karafDistributionConfiguration()
                .frameworkUrl(maven().groupId("org.vamt").artifactId("vamt-distribution")
                    .version(System.getProperty("vamt.version")).type("tar.gz"))
                .name("vamt").unpackDirectory(new File("target/" + name)).useDeployFolder(false),
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
            editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", digit + "8181"),
            editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", digit + "8101"),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", digit + "1099"),
            editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", digit + "4444"),
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
