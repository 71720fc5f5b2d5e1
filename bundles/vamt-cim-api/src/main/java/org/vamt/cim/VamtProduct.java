package org.vamt.cim;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The versions vAMT reports. The AMT version must be the same in every place a client may read
 * it (HTTP Server header, Identify, CIM_SoftwareIdentity), so it is decided here once: the build
 * default, overridden by the system property {@code vamt.amt.version}.
 */
public final class VamtProduct {
    private static final Properties BUILD = load();

    private VamtProduct() {
    }

    /** The AMT firmware version vAMT claims, four dotted numbers, e.g. {@code 16.1.30.2307}. */
    public static String amtVersion() {
        String v = System.getProperty("vamt.amt.version", BUILD.getProperty("amt.version", "16.1.30.2307")).trim();
        if (!v.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
            throw new IllegalStateException("vamt.amt.version must be four dotted numbers, got " + v);
        }
        return v;
    }

    /** The vAMT product version (from the build). */
    public static String vamtVersion() {
        return BUILD.getProperty("vamt.version", "0");
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = VamtProduct.class.getResourceAsStream("product.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read product.properties", e);
        }
        return p;
    }
}
