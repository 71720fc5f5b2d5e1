package org.vamt.mof.internal;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimQualifierType;
import org.vamt.mof.IncludeResolver;
import org.vamt.mof.MofException;
import org.vamt.mof.MofResult;

/**
 * State shared by the main source and everything it includes: the declarations so far (names are
 * unique per compilation, case-insensitively as in CIM) and the chain of files being read.
 */
public final class Compilation {
    private final IncludeResolver resolver;
    private final List<String> includeChain = new ArrayList<>();
    private final List<CimQualifierType> qualifierTypes = new ArrayList<>();
    private final List<CimClassDef> classes = new ArrayList<>();
    private final Map<String, Token> qualifierTypeNames = new HashMap<>();
    private final Map<String, Token> classNames = new HashMap<>();

    /** @param resolver supplies included files; null makes every include an error */
    public Compilation(IncludeResolver resolver) {
        this.resolver = resolver;
    }

    public MofResult compile(String sourceName, String text) throws MofException {
        parse(sourceName, text);
        return new MofResult(qualifierTypes, classes);
    }

    private void parse(String sourceName, String text) throws MofException {
        includeChain.add(sourceName);
        new Parser(new Lexer(sourceName, text), this).parseDeclarations();
        includeChain.remove(includeChain.size() - 1);
    }

    /** Compiles an included file in place of its pragma. @param at the path literal, for errors */
    void include(String path, Token at) throws MofException {
        if (resolver == null) {
            throw at.error("cannot include \"" + path + "\": no include resolver given");
        }
        IncludeResolver.Included included;
        try {
            included = resolver.resolve(path, at.source());
        } catch (NoSuchFileException | FileNotFoundException e) {
            included = null;
        } catch (IOException e) {
            throw at.error("cannot read included file \"" + path + "\": " + e.getMessage());
        }
        if (included == null) {
            throw at.error("included file \"" + path + "\" not found");
        }
        if (includeChain.contains(included.sourceName())) {
            throw at.error("include cycle: " + String.join(" -> ", includeChain) + " -> " + included.sourceName());
        }
        parse(included.sourceName(), included.text());
    }

    void declare(CimQualifierType qualifierType, Token name) throws MofException {
        checkUnique(qualifierTypeNames, name, "qualifier");
        qualifierTypes.add(qualifierType);
    }

    void declare(CimClassDef classDef, Token name) throws MofException {
        checkUnique(classNames, name, "class");
        classes.add(classDef);
    }

    private static void checkUnique(Map<String, Token> declared, Token name, String what) throws MofException {
        Token first = declared.putIfAbsent(name.text().toLowerCase(Locale.ROOT), name);
        if (first != null) {
            throw name.error("duplicate " + what + " '" + name.text() + "' (first declared at "
                    + first.source() + ":" + first.line() + ":" + first.column() + ")");
        }
    }
}
