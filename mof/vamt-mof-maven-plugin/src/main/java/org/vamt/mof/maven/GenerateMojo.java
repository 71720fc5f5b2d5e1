package org.vamt.mof.maven;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimSchema;
import org.vamt.mof.MofCompiler;
import org.vamt.mof.MofException;
import org.vamt.mof.MofPrinter;
import org.vamt.mof.MofResult;

/**
 * Compiles a MOF file (with its includes) into: the schema resource {@code OSGI-INF/mof/<name>.mof}
 * that the CIMOM loads when the bundle starts, and Java sources (a typed class and a provider
 * skeleton per class). Superclasses may come from MOF carried by the project's dependencies
 * (their {@code OSGI-INF/mof/}). Bad MOF fails the build with file, line and column.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true,
        requiresDependencyResolution = ResolutionScope.COMPILE)
public class GenerateMojo extends AbstractMojo {
    static final String MOF_DIR = "OSGI-INF/mof/";

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    /** The top-level MOF file. */
    @Parameter(required = true)
    private File source;

    /** Java package of the generated classes. */
    @Parameter(required = true)
    private String packageName;

    /** Whether to generate provider skeletons as well as typed classes. */
    @Parameter(defaultValue = "true")
    private boolean skeletons;

    @Parameter(defaultValue = "${project.build.directory}/generated-sources/mof")
    private File outputDirectory;

    @Parameter(defaultValue = "${project.build.directory}/generated-resources/mof")
    private File resourceDirectory;

    /** Name of the schema resource under OSGI-INF/mof/. */
    @Parameter(defaultValue = "${project.artifactId}.mof")
    private String resourceName;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        try {
            MofResult own = MofCompiler.compile(source.toPath());
            List<CimClassDef> all = new ArrayList<>(baseClasses());
            all.addAll(own.classes());
            CimSchema schema;
            try {
                schema = CimSchema.of(all);
            } catch (IllegalArgumentException e) {
                throw new MojoFailureException(source + ": " + e.getMessage());
            }
            JavaGenerator generator = new JavaGenerator(schema, packageName);
            Path pkgDir = outputDirectory.toPath().resolve(packageName.replace('.', '/'));
            Files.createDirectories(pkgDir);
            int files = 0;
            for (CimClassDef c : own.classes()) {
                for (Map.Entry<String, String> f : generator.generate(c, skeletons).entrySet()) {
                    Files.writeString(pkgDir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
                    files++;
                }
            }
            Path mof = resourceDirectory.toPath().resolve(MOF_DIR + resourceName);
            Files.createDirectories(mof.getParent());
            Files.writeString(mof, MofPrinter.print(own), StandardCharsets.UTF_8);
            project.addCompileSourceRoot(outputDirectory.getPath());
            Resource r = new Resource();
            r.setDirectory(resourceDirectory.getPath());
            project.addResource(r);
            getLog().info("MOF: " + own.classes().size() + " classes from " + source.getName() + " -> " + files
                    + " Java sources, schema " + MOF_DIR + resourceName);
        } catch (MofException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot compile " + source + ": " + e.getMessage(), e);
        }
    }

    /** Classes carried as MOF by the project's dependencies, for inherited properties. */
    private List<CimClassDef> baseClasses() throws IOException, MojoFailureException {
        List<CimClassDef> base = new ArrayList<>();
        for (Artifact a : project.getArtifacts()) {
            File f = a.getFile();
            if (f == null || !f.isFile() || !f.getName().endsWith(".jar")) {
                continue;
            }
            try (JarFile jar = new JarFile(f)) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().startsWith(MOF_DIR) && e.getName().endsWith(".mof")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            base.addAll(MofCompiler.compile(text, f.getName() + "!/" + e.getName(), null).classes());
                        } catch (MofException ex) {
                            throw new MojoFailureException("dependency " + a + ": " + ex.getMessage(), ex);
                        }
                    }
                }
            }
        }
        return base;
    }
}
