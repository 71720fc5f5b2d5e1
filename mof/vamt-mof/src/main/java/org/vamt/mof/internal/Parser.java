package org.vamt.mof.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimParameterDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimQualifier;
import org.vamt.cim.schema.CimQualifierType;
import org.vamt.mof.MofException;

/**
 * Recursive-descent parser for one MOF source (DSP0221 v2 grammar, the subset the model can hold):
 * pragmas, qualifier declarations and class declarations. Declarations go to the {@link Compilation}.
 */
final class Parser {
    private static final Set<String> SCOPES = Set.of("schema", "class", "association", "indication",
            "qualifier", "property", "reference", "method", "parameter", "any");
    private static final Set<String> FLAVORS = Set.of("enableoverride", "disableoverride", "tosubclass",
            "toinstance", "restricted", "translatable");

    private final Lexer lexer;
    private final Compilation compilation;
    private Token current;
    private Token previous;

    Parser(Lexer lexer, Compilation compilation) throws MofException {
        this.lexer = lexer;
        this.compilation = compilation;
        this.current = lexer.next();
    }

    /** A type as written: intrinsic, or {@code ClassName REF}. */
    private record TypeRef(CimDataType type, String referenceClass) {
    }

    void parseDeclarations() throws MofException {
        while (current.kind() != TokenKind.END_OF_FILE) {
            if (current.kind() == TokenKind.PRAGMA) {
                pragma();
                continue;
            }
            List<CimQualifier> qualifiers = optionalQualifierList();
            if (current.is("class")) {
                classDeclaration(qualifiers);
            } else if (current.is("instance")) {
                throw current.error("instance declarations are not supported");
            } else if (qualifiers.isEmpty() && current.is("qualifier")) {
                qualifierDeclaration();
            } else {
                throw unexpected(qualifiers.isEmpty() ? "'class', 'qualifier' or '#pragma'" : "'class'");
            }
        }
    }

    /** {@code #pragma include ("file")}; other pragmas (locale, namespace…) are read and ignored. */
    private void pragma() throws MofException {
        advance();
        Token name = expectIdentifier("pragma name");
        expect(TokenKind.LEFT_PAREN);
        if (name.is("include")) {
            Token pathToken = current;
            if (pathToken.kind() != TokenKind.STRING) {
                throw unexpected("the included file's name as a string");
            }
            String path = (String) scalarValue();
            expect(TokenKind.RIGHT_PAREN);
            compilation.include(path, pathToken);
        } else {
            if (current.kind() != TokenKind.RIGHT_PAREN) {
                do {
                    scalarValue();
                } while (accept(TokenKind.COMMA));
            }
            expect(TokenKind.RIGHT_PAREN);
        }
    }

    /** {@code Qualifier Name : type [array] [= default], Scope(...) [, Flavor(...)];} — commas optional (DSP0221 v3). */
    private void qualifierDeclaration() throws MofException {
        advance();
        Token name = expectIdentifier("qualifier name");
        expect(TokenKind.COLON);
        Token typeToken = expectIdentifier("qualifier type");
        CimDataType type = CimDataType.fromMof(typeToken.text());
        if (type == null) {
            throw typeToken.error("unknown type '" + typeToken.text() + "'");
        }
        boolean array = optionalArraySuffix();
        Object defaultValue = accept(TokenKind.EQUALS) ? typedValue(type, array) : null;
        accept(TokenKind.COMMA);
        if (!current.is("scope")) {
            throw unexpected("'Scope'");
        }
        advance();
        List<String> scopes = nameList(SCOPES, "scope");
        List<String> flavors = List.of();
        boolean comma = accept(TokenKind.COMMA);
        if (comma || current.is("flavor") || current.is("policy")) {
            if (!current.is("flavor") && !current.is("policy")) {
                throw unexpected("'Flavor'");
            }
            advance();
            flavors = nameList(FLAVORS, "flavor");
        }
        expectSemicolon();
        compilation.declare(new CimQualifierType(name.text(), type, array, defaultValue, scopes, flavors), name);
    }

    /** {@code ( name, name... )}, each one of {@code allowed}, kept as spelled. */
    private List<String> nameList(Set<String> allowed, String what) throws MofException {
        expect(TokenKind.LEFT_PAREN);
        List<String> names = new ArrayList<>();
        do {
            Token name = expectIdentifier(what);
            if (!allowed.contains(name.text().toLowerCase(Locale.ROOT))) {
                throw name.error("unknown " + what + " '" + name.text() + "'");
            }
            names.add(name.text());
        } while (accept(TokenKind.COMMA));
        expect(TokenKind.RIGHT_PAREN);
        return names;
    }

    /** {@code [quals] class Name [: Super] { features };} */
    private void classDeclaration(List<CimQualifier> qualifiers) throws MofException {
        advance();
        Token name = expectIdentifier("class name");
        String superClass = accept(TokenKind.COLON) ? expectIdentifier("superclass name").text() : null;
        expect(TokenKind.LEFT_BRACE);
        List<CimPropertyDef> properties = new ArrayList<>();
        List<CimMethodDef> methods = new ArrayList<>();
        Map<String, Token> featureNames = new HashMap<>();
        while (!accept(TokenKind.RIGHT_BRACE)) {
            if (current.kind() == TokenKind.END_OF_FILE) {
                throw unexpected("'}'");
            }
            feature(name, properties, methods, featureNames);
        }
        expectSemicolon();
        compilation.declare(new CimClassDef(name.text(), superClass, qualifiers, properties, methods), name);
    }

    /** A property, reference or method: they share the prefix {@code [quals] type name}. */
    private void feature(Token className, List<CimPropertyDef> properties, List<CimMethodDef> methods,
                         Map<String, Token> featureNames) throws MofException {
        List<CimQualifier> qualifiers = optionalQualifierList();
        Token typeToken = expectIdentifier("property or method type");
        TypeRef type = typeRef(typeToken);
        Token name = expectIdentifier(type.referenceClass() != null ? "reference name" : "property or method name");
        // Properties and methods share one namespace in a class (DSP0004).
        boolean isMethod = current.kind() == TokenKind.LEFT_PAREN;
        Token first = featureNames.putIfAbsent(name.text().toLowerCase(Locale.ROOT), name);
        if (first != null) {
            throw name.error("duplicate " + (isMethod ? "method" : "property") + " '" + name.text()
                    + "' in class " + className.text());
        }
        if (isMethod) {
            if (type.referenceClass() != null) {
                throw typeToken.error("methods returning a reference are not supported");
            }
            methods.add(new CimMethodDef(name.text(), type.type(), parameters(), qualifiers));
        } else {
            boolean array = optionalArraySuffix();
            Object defaultValue = accept(TokenKind.EQUALS) ? typedValue(type.type(), array) : null;
            properties.add(new CimPropertyDef(name.text(), type.type(), type.referenceClass(), array, defaultValue,
                    qualifiers));
        }
        expectSemicolon();
    }

    /** {@code ( [quals] type name [array], ... )} */
    private List<CimParameterDef> parameters() throws MofException {
        expect(TokenKind.LEFT_PAREN);
        List<CimParameterDef> parameters = new ArrayList<>();
        Map<String, Token> names = new HashMap<>();
        if (!accept(TokenKind.RIGHT_PAREN)) {
            do {
                List<CimQualifier> qualifiers = optionalQualifierList();
                TypeRef type = typeRef(expectIdentifier("parameter type"));
                Token name = expectIdentifier("parameter name");
                if (names.putIfAbsent(name.text().toLowerCase(Locale.ROOT), name) != null) {
                    throw name.error("duplicate parameter '" + name.text() + "'");
                }
                boolean array = optionalArraySuffix();
                if (current.kind() == TokenKind.EQUALS) {
                    throw current.error("parameter default values are not supported");
                }
                parameters.add(new CimParameterDef(name.text(), type.type(), type.referenceClass(), array, qualifiers));
            } while (accept(TokenKind.COMMA));
            expect(TokenKind.RIGHT_PAREN);
        }
        return parameters;
    }

    /** An intrinsic type keyword, or a class name followed by {@code REF}. */
    private TypeRef typeRef(Token typeToken) throws MofException {
        CimDataType intrinsic = CimDataType.fromMof(typeToken.text());
        if (intrinsic != null) {
            return new TypeRef(intrinsic, null);
        }
        if (current.is("ref")) {
            advance();
            return new TypeRef(CimDataType.REFERENCE, typeToken.text());
        }
        throw typeToken.error("unknown type '" + typeToken.text() + "'");
    }

    /** {@code []} or {@code [n]}; the size of a fixed-size array is not part of the model and is dropped. */
    private boolean optionalArraySuffix() throws MofException {
        if (!accept(TokenKind.LEFT_BRACKET)) {
            return false;
        }
        if (current.kind() == TokenKind.INTEGER) {
            if ((Long) current.value() <= 0) {
                throw current.error("array size must be positive");
            }
            advance();
        }
        expect(TokenKind.RIGHT_BRACKET);
        return true;
    }

    /**
     * {@code [Name, Name(value), Name{v, ...}, Name : Flavor ...]}, or nothing. Per-use flavors are
     * checked but dropped: the model's CimQualifier has no flavor.
     */
    private List<CimQualifier> optionalQualifierList() throws MofException {
        if (!accept(TokenKind.LEFT_BRACKET)) {
            return List.of();
        }
        List<CimQualifier> qualifiers = new ArrayList<>();
        Map<String, Token> names = new HashMap<>();
        do {
            Token name = expectIdentifier("qualifier name");
            if (names.putIfAbsent(name.text().toLowerCase(Locale.ROOT), name) != null) {
                throw name.error("duplicate qualifier '" + name.text() + "'");
            }
            Object value = null;
            if (accept(TokenKind.LEFT_PAREN)) {
                value = value();
                expect(TokenKind.RIGHT_PAREN);
            } else if (current.kind() == TokenKind.LEFT_BRACE) {
                value = value();
            }
            if (accept(TokenKind.COLON)) {
                do {
                    Token flavor = expectIdentifier("flavor");
                    if (!FLAVORS.contains(flavor.text().toLowerCase(Locale.ROOT))) {
                        throw flavor.error("unknown flavor '" + flavor.text() + "'");
                    }
                } while (current.kind() == TokenKind.IDENTIFIER);
            }
            qualifiers.add(new CimQualifier(name.text(), value));
        } while (accept(TokenKind.COMMA));
        expect(TokenKind.RIGHT_BRACKET);
        return qualifiers;
    }

    /** A qualifier value: a scalar or {@code { scalars }}, of any type. */
    private Object value() throws MofException {
        if (!accept(TokenKind.LEFT_BRACE)) {
            return scalarValue();
        }
        List<Object> elements = new ArrayList<>();
        if (!accept(TokenKind.RIGHT_BRACE)) {
            do {
                elements.add(scalarValue());
            } while (accept(TokenKind.COMMA));
            expect(TokenKind.RIGHT_BRACE);
        }
        return elements;
    }

    /** A default value, checked against and converted to the declared type. */
    private Object typedValue(CimDataType type, boolean array) throws MofException {
        if (current.is("null")) {
            advance();
            return null;
        }
        String typeName = type.mofName() + (array ? "[]" : "");
        if (array != (current.kind() == TokenKind.LEFT_BRACE)) {
            throw current.error((array ? "expected an array value for type " : "expected a single value for type ")
                    + typeName + " but found " + current.describe());
        }
        if (!array) {
            return typedScalar(type);
        }
        advance();
        List<Object> elements = new ArrayList<>();
        if (!accept(TokenKind.RIGHT_BRACE)) {
            do {
                elements.add(typedScalar(type));
            } while (accept(TokenKind.COMMA));
            expect(TokenKind.RIGHT_BRACE);
        }
        return elements;
    }

    private Object typedScalar(CimDataType type) throws MofException {
        Token at = current;
        Object value = scalarValue();
        if (value == null) {
            return null;
        }
        switch (type) {
            case BOOLEAN:
                if (value instanceof Boolean) {
                    return value;
                }
                break;
            case STRING, DATETIME, REFERENCE:
                if (value instanceof String) {
                    return value;
                }
                break;
            case CHAR16:
                if (value instanceof String s && s.length() == 1) {
                    return value;
                }
                break;
            case REAL32, REAL64:
                if (value instanceof Number n) {
                    return n.doubleValue();
                }
                break;
            default: // the integer types
                if (value instanceof Long n) {
                    if (n < type.minValue() || n > type.maxValue()) {
                        throw at.error("value " + n + " is out of range for " + type.mofName());
                    }
                    return value;
                }
        }
        throw at.error(at.describe() + " is not a valid " + type.mofName() + " value");
    }

    /**
     * One literal: Boolean, String (adjacent string literals concatenated; characters too), Long,
     * Double, or null.
     */
    private Object scalarValue() throws MofException {
        Token token = current;
        switch (token.kind()) {
            case STRING -> {
                StringBuilder text = new StringBuilder();
                while (current.kind() == TokenKind.STRING) {
                    text.append((String) current.value());
                    advance();
                }
                return text.toString();
            }
            case CHAR, INTEGER, REAL -> {
                advance();
                return token.value();
            }
            case IDENTIFIER -> {
                if (token.is("true") || token.is("false")) {
                    advance();
                    return token.is("true");
                }
                if (token.is("null")) {
                    advance();
                    return null;
                }
            }
            default -> {
            }
        }
        throw unexpected("a value");
    }

    private Token expectIdentifier(String what) throws MofException {
        if (current.kind() != TokenKind.IDENTIFIER) {
            throw unexpected(what);
        }
        return advance();
    }

    private void expect(TokenKind kind) throws MofException {
        if (!accept(kind)) {
            throw unexpected(kind.description());
        }
    }

    /** A missing ';' is reported just after the token it should follow, as that is where it belongs. */
    private void expectSemicolon() throws MofException {
        if (!accept(TokenKind.SEMICOLON)) {
            throw new MofException(previous.source(), previous.endLine(), previous.endColumn(),
                    "expected ';' after " + previous.describe() + " but found " + current.describe());
        }
    }

    private boolean accept(TokenKind kind) throws MofException {
        if (current.kind() != kind) {
            return false;
        }
        advance();
        return true;
    }

    private Token advance() throws MofException {
        previous = current;
        current = lexer.next();
        return previous;
    }

    private MofException unexpected(String expected) {
        return current.error("expected " + expected + " but found " + current.describe());
    }
}
