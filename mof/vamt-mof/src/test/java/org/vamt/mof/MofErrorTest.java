package org.vamt.mof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each invalid input fails with the exact position and message. */
class MofErrorTest {

    static Stream<Arguments> invalidMof() {
        return Stream.of(
                error("class A {};\n  foo", 2, 3, "expected 'class', 'qualifier' or '#pragma' but found 'foo'"),
                error("[Description(\"abc)]\nclass A {};", 1, 14, "unterminated string"),
                error("[D(\"abc\n\")] class A {};", 1, 4, "unterminated string"),
                error("class A {};\n  /* never closed\n", 2, 3, "unterminated comment"),
                error("class A { char16 C = 'ab'; };", 1, 22, "unterminated character literal"),
                error("class A {\n  strin X;\n};", 2, 3, "unknown type 'strin'"),
                error("class A {\r\n  strin X;\r\n};", 2, 3, "unknown type 'strin'"),
                error("Qualifier Q : int, Scope(any);", 1, 15, "unknown type 'int'"),
                error("class A {};\nclass a {};", 2, 7, "duplicate class 'a' (first declared at test.mof:1:7)"),
                error("Qualifier Key : boolean, Scope(any);\nQualifier KEY : boolean, Scope(any);", 2, 11,
                        "duplicate qualifier 'KEY' (first declared at test.mof:1:11)"),
                error("class A {\n  string X;\n  uint8 x;\n};", 3, 9, "duplicate property 'x' in class A"),
                error("class A {\n  string X;\n  uint8 x();\n};", 3, 9, "duplicate method 'x' in class A"),
                error("class A { uint32 M(uint8 P, string p); };", 1, 36, "duplicate parameter 'p'"),
                error("[Key, key] class A {};", 1, 7, "duplicate qualifier 'key'"),
                error("class A {\n  string X\n  string Y;\n};", 2, 11,
                        "expected ';' after 'X' but found 'string'"),
                error("class A {\n}\nclass B {};", 2, 2, "expected ';' after '}' but found 'class'"),
                error("Qualifier Q : boolean, Scope(any)\nclass A {};", 1, 34,
                        "expected ';' after ')' but found 'class'"),
                error("class A {\n  string X;\n", 3, 1, "expected '}' but found end of file"),
                error("class : B {};", 1, 7, "expected class name but found ':'"),
                error("/* c */ [Key,]", 1, 14, "expected qualifier name but found ']'"),
                error("instance of A { X = 1; };", 1, 1, "instance declarations are not supported"),
                error("[Key] qualifier Q : boolean, Scope(any);", 1, 7, "expected 'class' but found 'qualifier'"),
                error("[D(\"a\\qb\")] class A {};", 1, 6, "invalid escape sequence '\\q'"),
                error("[D(\"\\xg\")] class A {};", 1, 5, "invalid escape sequence '\\x': hex digits expected"),
                error("class A { string X = @; };", 1, 22, "unexpected character '@'"),
                error("\tfoo", 1, 2, "expected 'class', 'qualifier' or '#pragma' but found 'foo'"),
                error("class A { uint8 X = 256; };", 1, 21, "value 256 is out of range for uint8"),
                error("class A { uint32 X = -1; };", 1, 22, "value -1 is out of range for uint32"),
                error("class A { boolean B = \"yes\"; };", 1, 23, "\"yes\" is not a valid boolean value"),
                error("class A { uint8 X[] = 1; };", 1, 23, "expected an array value for type uint8[] but found 1"),
                error("class A { uint8 X = {1}; };", 1, 21, "expected a single value for type uint8 but found '{'"),
                error("class A { uint8 X[] = {1, \"2\"}; };", 1, 27, "\"2\" is not a valid uint8 value"),
                error("Qualifier Q : boolean, Scope(property, everything);", 1, 40, "unknown scope 'everything'"),
                error("Qualifier Q : boolean, Scope(any), Flavor(Sticky);", 1, 43, "unknown flavor 'Sticky'"),
                error("Qualifier Q : boolean, Flavor(ToSubclass);", 1, 24, "expected 'Scope' but found 'Flavor'"),
                error("[Key : Sticky] class A {};", 1, 8, "unknown flavor 'Sticky'"),
                error("class A { uint8 X = 12ab; };", 1, 21, "malformed number '12ab'"),
                error("[Q(102b)] class A {};", 1, 4, "malformed binary number '102b'"),
                error("[Q(089)] class A {};", 1, 4, "malformed octal number '089'"),
                error("[Q(1.)] class A {};", 1, 4, "malformed real number '1.'"),
                error("[Q(9223372036854775808)] class A {};", 1, 4, "integer out of range: 9223372036854775808"),
                error("[Q()] class A {};", 1, 4, "expected a value but found ')'"),
                error("class A { uint32 M(uint8 P = 1); };", 1, 28, "parameter default values are not supported"),
                error("class A { B REF M(); };", 1, 11, "methods returning a reference are not supported"),
                error("class A { uint8 X[0]; };", 1, 19, "array size must be positive"),
                error("#pragma include (\"x.mof\")", 1, 18, "cannot include \"x.mof\": no include resolver given"),
                error("#pragma include (x.mof)", 1, 18, "expected the included file's name as a string but found 'x'"),
                error("#pragmo x", 1, 1, "expected '#pragma' but found '#pragmo'"));
    }

    private static Arguments error(String mof, int line, int column, String problem) {
        return Arguments.of(mof, line, column, problem);
    }

    @ParameterizedTest(name = "[{index}] {3}")
    @MethodSource("invalidMof")
    void reportsExactPosition(String mof, int line, int column, String problem) {
        MofException e = assertThrows(MofException.class, () -> TestMof.compile(mof));
        assertEquals("test.mof:" + line + ":" + column + ": " + problem, e.getMessage());
        assertEquals("test.mof", e.source());
        assertEquals(line, e.line());
        assertEquals(column, e.column());
        assertEquals(problem, e.problem());
    }
}
