package org.vamt.cim;

/**
 * The keys given to name an instance do not fit its class: a name that is not a key, a key left
 * out, or a value of the wrong form. Front ends report it as a selector problem, not a parameter
 * problem; {@link #problem()} says which (the names follow DSP0226's InvalidSelectors details).
 */
public class InvalidKeyException extends CimException {
    private static final long serialVersionUID = 1L;

    public enum Problem { UNEXPECTED_SELECTORS, INSUFFICIENT_SELECTORS, TYPE_MISMATCH, INVALID_VALUE }

    private final Problem problem;

    public InvalidKeyException(String message) {
        this(Problem.UNEXPECTED_SELECTORS, message);
    }

    public InvalidKeyException(Problem problem, String message) {
        super(CimStatus.INVALID_PARAMETER, message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
