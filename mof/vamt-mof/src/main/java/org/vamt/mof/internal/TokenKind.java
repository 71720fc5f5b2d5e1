package org.vamt.mof.internal;

/** The lexical categories of MOF. Keywords are identifiers: MOF keywords are case-insensitive and contextual. */
public enum TokenKind {
    IDENTIFIER("identifier"),
    STRING("string"),
    CHAR("character"),
    INTEGER("integer"),
    REAL("real number"),
    PRAGMA("'#pragma'"),
    LEFT_BRACE("'{'"),
    RIGHT_BRACE("'}'"),
    LEFT_BRACKET("'['"),
    RIGHT_BRACKET("']'"),
    LEFT_PAREN("'('"),
    RIGHT_PAREN("')'"),
    SEMICOLON("';'"),
    COMMA("','"),
    COLON("':'"),
    EQUALS("'='"),
    END_OF_FILE("end of file");

    private final String description;

    TokenKind(String description) {
        this.description = description;
    }

    /** How an error message names the kind, e.g. {@code ';'}. */
    public String description() {
        return description;
    }
}
