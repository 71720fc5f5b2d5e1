package org.vamt.mof.internal;

import org.vamt.mof.MofException;

/**
 * One token.
 *
 * @param text      the token as written in the source
 * @param value     the decoded literal: String for strings and characters, Long, Double; else null
 * @param endLine   line of the character just after the token (for "missing ';'" errors)
 * @param endColumn column of the character just after the token
 */
public record Token(TokenKind kind, String text, Object value, String source, int line, int column,
                   int endLine, int endColumn) {

    /** Whether this is the (case-insensitive) keyword. */
    public boolean is(String keyword) {
        return kind == TokenKind.IDENTIFIER && text.equalsIgnoreCase(keyword);
    }

    /** How an error message names this token. */
    public String describe() {
        return switch (kind) {
            case IDENTIFIER, PRAGMA -> "'" + text + "'";
            case STRING, CHAR, INTEGER, REAL -> text.length() <= 30 ? text : text.substring(0, 27) + "...";
            default -> kind.description();
        };
    }

    public MofException error(String problem) {
        return new MofException(source, line, column, problem);
    }
}
