package org.vamt.cimom.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.util.tracker.BundleTracker;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.mof.IncludeResolver;
import org.vamt.mof.MofCompiler;
import org.vamt.mof.MofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot-deployable classes: MOF files a bundle carries under {@code OSGI-INF/mof/} join the
 * schema when the bundle starts and leave it when the bundle stops.
 */
final class MofBundleTracker extends BundleTracker<String> {
    private static final Logger LOG = LoggerFactory.getLogger(MofBundleTracker.class);
    static final String MOF_DIR = "OSGI-INF/mof";

    private final SchemaRegistry schemas;

    MofBundleTracker(BundleContext context, SchemaRegistry schemas) {
        super(context, Bundle.ACTIVE, null);
        this.schemas = schemas;
    }

    @Override
    public String addingBundle(Bundle bundle, BundleEvent event) {
        var entries = bundle.findEntries(MOF_DIR, "*.mof", false);
        if (entries == null) {
            return null;
        }
        List<CimClassDef> classes = new ArrayList<>();
        for (URL url : Collections.list(entries)) {
            try {
                String name = bundle.getSymbolicName() + "!/" + url.getPath();
                classes.addAll(MofCompiler.compile(read(url), name, includesIn(bundle)).classes());
            } catch (MofException | IOException e) {
                LOG.error("Ignoring MOF of bundle {}: {}", bundle.getSymbolicName(), e.getMessage());
                return null;
            }
        }
        String source = "bundle " + bundle.getSymbolicName() + " [" + bundle.getBundleId() + "]";
        schemas.add(source, classes);
        return source;
    }

    @Override
    public void removedBundle(Bundle bundle, BundleEvent event, String source) {
        schemas.remove(source);
    }

    /** Includes resolve against the bundle's own MOF directory. */
    private static IncludeResolver includesIn(Bundle bundle) {
        return (path, from) -> {
            URL url = bundle.getEntry(MOF_DIR + "/" + path);
            if (url == null) {
                throw new IOException("no " + MOF_DIR + "/" + path + " in " + bundle.getSymbolicName());
            }
            return new IncludeResolver.Included(bundle.getSymbolicName() + "!/" + url.getPath(), read(url));
        };
    }

    private static String read(URL url) throws IOException {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
