package qwen2vl4j.chat.jinja;

/**
 * Jinja's undefined value: falsy, renders as the empty string, iterates as empty, and (leniently, like
 * Jinja's ChainableUndefined) yields another undefined for any attribute or item looked up on it.
 *
 * @param name what was looked up, for error messages
 */
record Undefined(String name) {
    @Override
    public String toString() {
        return "";
    }

    /** The message Jinja gives when an undefined value is used where a real one is needed. */
    String error() {
        return "'" + name + "' is undefined";
    }
}
