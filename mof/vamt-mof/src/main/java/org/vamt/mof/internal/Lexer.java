package org.vamt.mof.internal;

import java.math.BigInteger;
import org.vamt.mof.MofException;

/**
 * Splits MOF text into tokens on demand, so that errors come out in source order. Skips whitespace and
 * comments, decodes string escapes and numbers (DSP0221: decimal, hex {@code 0x1F}, binary {@code 101b},
 * octal {@code 0755}, reals).
 */
public final class Lexer {
    private final String source;
    private final String text;
    private int pos;
    private int line = 1;
    private int column = 1;

    public Lexer(String source, String text) {
        this.source = source;
        this.text = text;
        if (text.startsWith("\uFEFF")) {
            pos = 1; // a byte order mark is not part of the text, and columns should not count it
        }
    }

    public Token next() throws MofException {
        skipWhitespaceAndComments();
        int start = pos;
        int startLine = line;
        int startColumn = column;
        if (atEnd()) {
            return new Token(TokenKind.END_OF_FILE, "", null, source, line, column, line, column);
        }
        char c = peek(0);
        TokenKind punctuation = punctuation(c);
        if (punctuation != null) {
            advance();
            return token(punctuation, start, startLine, startColumn, null);
        }
        if (c == '"') {
            return string(start, startLine, startColumn);
        }
        if (c == '\'') {
            return character(start, startLine, startColumn);
        }
        if (c == '#') {
            return pragma(start, startLine, startColumn);
        }
        if (startsNumber()) {
            return number(start, startLine, startColumn);
        }
        if (isIdentifierStart(c)) {
            while (!atEnd() && isIdentifierPart(peek(0))) {
                advance();
            }
            return token(TokenKind.IDENTIFIER, start, startLine, startColumn, null);
        }
        throw error(startLine, startColumn, "unexpected character " + printable(c));
    }

    private static TokenKind punctuation(char c) {
        return switch (c) {
            case '{' -> TokenKind.LEFT_BRACE;
            case '}' -> TokenKind.RIGHT_BRACE;
            case '[' -> TokenKind.LEFT_BRACKET;
            case ']' -> TokenKind.RIGHT_BRACKET;
            case '(' -> TokenKind.LEFT_PAREN;
            case ')' -> TokenKind.RIGHT_PAREN;
            case ';' -> TokenKind.SEMICOLON;
            case ',' -> TokenKind.COMMA;
            case ':' -> TokenKind.COLON;
            case '=' -> TokenKind.EQUALS;
            default -> null;
        };
    }

    private void skipWhitespaceAndComments() throws MofException {
        while (!atEnd()) {
            char c = peek(0);
            if (Character.isWhitespace(c)) {
                advance();
            } else if (c == '/' && peek(1) == '/') {
                while (!atEnd() && peek(0) != '\n' && peek(0) != '\r') {
                    advance();
                }
            } else if (c == '/' && peek(1) == '*') {
                int startLine = line;
                int startColumn = column;
                advance();
                advance();
                while (!(peek(0) == '*' && peek(1) == '/')) {
                    if (atEnd()) {
                        throw error(startLine, startColumn, "unterminated comment");
                    }
                    advance();
                }
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    private Token pragma(int start, int startLine, int startColumn) throws MofException {
        advance();
        while (!atEnd() && isIdentifierPart(peek(0))) {
            advance();
        }
        if (!text.substring(start + 1, pos).equalsIgnoreCase("pragma")) {
            throw error(startLine, startColumn, "expected '#pragma' but found '" + text.substring(start, pos) + "'");
        }
        return token(TokenKind.PRAGMA, start, startLine, startColumn, null);
    }

    private Token string(int start, int startLine, int startColumn) throws MofException {
        advance();
        StringBuilder value = new StringBuilder();
        while (true) {
            if (atEndOfLine()) {
                throw error(startLine, startColumn, "unterminated string");
            }
            char c = peek(0);
            if (c == '"') {
                advance();
                return token(TokenKind.STRING, start, startLine, startColumn, value.toString());
            }
            if (c == '\\') {
                escape(value, startLine, startColumn, "unterminated string");
            } else {
                value.append(advance());
            }
        }
    }

    private Token character(int start, int startLine, int startColumn) throws MofException {
        advance();
        StringBuilder value = new StringBuilder();
        if (atEndOfLine()) {
            throw error(startLine, startColumn, "unterminated character literal");
        }
        if (peek(0) == '\'') {
            throw error(startLine, startColumn, "empty character literal");
        }
        if (peek(0) == '\\') {
            escape(value, startLine, startColumn, "unterminated character literal");
        } else {
            value.append(advance());
        }
        if (atEndOfLine() || peek(0) != '\'') {
            throw error(startLine, startColumn, "unterminated character literal");
        }
        advance();
        return token(TokenKind.CHAR, start, startLine, startColumn, value.toString());
    }

    /** Decodes one escape sequence (DSP0221): \b \t \n \f \r \" \' \\ and \x or \X with 1 to 4 hex digits. */
    private void escape(StringBuilder value, int literalLine, int literalColumn, String unterminated)
            throws MofException {
        int escapeLine = line;
        int escapeColumn = column;
        advance();
        if (atEndOfLine()) {
            throw error(literalLine, literalColumn, unterminated);
        }
        char c = advance();
        switch (c) {
            case 'b' -> value.append('\b');
            case 't' -> value.append('\t');
            case 'n' -> value.append('\n');
            case 'f' -> value.append('\f');
            case 'r' -> value.append('\r');
            case '"', '\'', '\\' -> value.append(c);
            case 'x', 'X' -> {
                int digits = 0;
                int code = 0;
                while (digits < 4 && !atEnd() && Character.digit(peek(0), 16) >= 0) {
                    code = code * 16 + Character.digit(advance(), 16);
                    digits++;
                }
                if (digits == 0) {
                    throw error(escapeLine, escapeColumn, "invalid escape sequence '\\" + c + "': hex digits expected");
                }
                value.append((char) code);
            }
            default -> throw error(escapeLine, escapeColumn, "invalid escape sequence '\\" + c + "'");
        }
    }

    private boolean startsNumber() {
        char c = peek(0);
        if (c == '+' || c == '-') {
            c = peek(1);
            return isDigit(c) || (c == '.' && isDigit(peek(2)));
        }
        return isDigit(c) || (c == '.' && isDigit(peek(1)));
    }

    private Token number(int start, int startLine, int startColumn) throws MofException {
        boolean negative = peek(0) == '-';
        if (peek(0) == '+' || peek(0) == '-') {
            advance();
        }
        int digitsStart = pos;
        Object value;
        TokenKind kind = TokenKind.INTEGER;
        if (peek(0) == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
            advance();
            advance();
            int hexStart = pos;
            while (!atEnd() && Character.digit(peek(0), 16) >= 0) {
                advance();
            }
            value = integer(text.substring(hexStart, pos), 16, negative, startLine, startColumn);
        } else {
            skipDigits();
            String digits = text.substring(digitsStart, pos);
            if (peek(0) == '.' || ((peek(0) == 'e' || peek(0) == 'E') && startsExponent())) {
                kind = TokenKind.REAL;
                value = real(start, startLine, startColumn);
            } else if (peek(0) == 'b' || peek(0) == 'B') {
                advance();
                if (!digits.chars().allMatch(d -> d == '0' || d == '1')) {
                    throw error(startLine, startColumn, "malformed binary number '" + text.substring(start, pos) + "'");
                }
                value = integer(digits, 2, negative, startLine, startColumn);
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                if (!digits.chars().allMatch(d -> d >= '0' && d <= '7')) {
                    throw error(startLine, startColumn, "malformed octal number '" + text.substring(start, pos) + "'");
                }
                value = integer(digits.substring(1), 8, negative, startLine, startColumn);
            } else {
                value = integer(digits, 10, negative, startLine, startColumn);
            }
        }
        if (!atEnd() && isIdentifierPart(peek(0))) {
            while (!atEnd() && isIdentifierPart(peek(0))) {
                advance();
            }
            throw error(startLine, startColumn, "malformed number '" + text.substring(start, pos) + "'");
        }
        return token(kind, start, startLine, startColumn, value);
    }

    /** The rest of a real number after its integer digits: optional fraction, optional exponent. */
    private Double real(int start, int startLine, int startColumn) throws MofException {
        if (peek(0) == '.') {
            advance();
            if (!isDigit(peek(0))) {
                throw error(startLine, startColumn, "malformed real number '" + text.substring(start, pos) + "'");
            }
            skipDigits();
        }
        if ((peek(0) == 'e' || peek(0) == 'E') && startsExponent()) {
            advance();
            if (peek(0) == '+' || peek(0) == '-') {
                advance();
            }
            skipDigits();
        }
        double value = Double.parseDouble(text.substring(start, pos));
        if (Double.isInfinite(value)) {
            throw error(startLine, startColumn, "real number out of range: " + text.substring(start, pos));
        }
        return value;
    }

    private boolean startsExponent() {
        char next = peek(1);
        return isDigit(next) || ((next == '+' || next == '-') && isDigit(peek(2)));
    }

    private Long integer(String digits, int radix, boolean negative, int startLine, int startColumn)
            throws MofException {
        if (digits.isEmpty()) {
            throw error(startLine, startColumn, "malformed number: digits expected");
        }
        BigInteger value = new BigInteger(digits, radix);
        if (negative) {
            value = value.negate();
        }
        // Long is the model's integer type; uint64 values above Long.MAX_VALUE cannot be represented.
        if (value.bitLength() > 63) {
            throw error(startLine, startColumn, "integer out of range: " + (negative ? "-" : "") + digits);
        }
        return value.longValue();
    }

    private void skipDigits() {
        while (isDigit(peek(0))) {
            advance();
        }
    }

    private Token token(TokenKind kind, int start, int startLine, int startColumn, Object value) {
        return new Token(kind, text.substring(start, pos), value, source, startLine, startColumn, line, column);
    }

    private MofException error(int atLine, int atColumn, String problem) {
        return new MofException(source, atLine, atColumn, problem);
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    /** Strings and characters may not span lines. */
    private boolean atEndOfLine() {
        return atEnd() || peek(0) == '\n' || peek(0) == '\r';
    }

    private char peek(int ahead) {
        int at = pos + ahead;
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private char advance() {
        char c = text.charAt(pos++);
        if (c == '\n' || (c == '\r' && peek(0) != '\n')) {
            line++;
            column = 1;
        } else {
            column++;
        }
        return c;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentifierStart(char c) {
        return c == '_' || Character.isLetter(c);
    }

    private static boolean isIdentifierPart(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7F || Character.isWhitespace(c)
                ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }
}
