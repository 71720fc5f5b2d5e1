package org.vamt.cim.schema;

import java.util.Locale;

/** The intrinsic CIM data types (DSP0004), plus references. */
public enum CimDataType {
    BOOLEAN, STRING, CHAR16, UINT8, SINT8, UINT16, SINT16, UINT32, SINT32, UINT64, SINT64, REAL32, REAL64,
    DATETIME, REFERENCE;

    /** The MOF keyword ("uint32"…); references are written as {@code ClassName REF}. */
    public String mofName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type for a MOF keyword, or null when it is none. */
    public static CimDataType fromMof(String keyword) {
        for (CimDataType t : values()) {
            if (t != REFERENCE && t.mofName().equalsIgnoreCase(keyword)) {
                return t;
            }
        }
        return null;
    }

    public boolean isInteger() {
        return this.compareTo(UINT8) >= 0 && this.compareTo(SINT64) <= 0;
    }

    public boolean isSigned() {
        return this == SINT8 || this == SINT16 || this == SINT32 || this == SINT64;
    }

    /** Largest value of an unsigned integer type, or the max of a signed one. */
    public long maxValue() {
        return switch (this) {
            case UINT8 -> 0xFFL;
            case SINT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFFL;
            case SINT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFFFFFFL;
            case SINT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
    }

    public long minValue() {
        return switch (this) {
            case SINT8 -> Byte.MIN_VALUE;
            case SINT16 -> Short.MIN_VALUE;
            case SINT32 -> Integer.MIN_VALUE;
            case SINT64 -> Long.MIN_VALUE;
            default -> 0L;
        };
    }
}
