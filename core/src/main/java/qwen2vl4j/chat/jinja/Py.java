package qwen2vl4j.chat.jinja;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics for plain Java values, as Jinja (running on Python) applies them: truthiness, {@code str()},
 * {@code repr()}, equality, ordering and arithmetic. Values are {@code null} (None), Boolean, integral Numbers (int),
 * other Numbers (float), String, List, Map, and the interpreter's own {@link Undefined}, {@link Namespace},
 * {@link JinjaCallable}.
 */
final class Py {
    private Py() {
    }

    // ---- classification ----

    static boolean isIntegral(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger || v instanceof Boolean;
    }

    static boolean isNumber(Object v) {
        return v instanceof Number || v instanceof Boolean;
    }

    /**
     * A number as a {@code long} (a float truncated, an int beyond a long's range saturated).
     *
     * @throws TemplateRenderException for anything else, naming its type
     */
    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof BigInteger big) return big.bitLength() < 64 ? big.longValue() : big.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        if (v instanceof Number n) return n.longValue();
        throw new TemplateRenderException("'" + typeName(v) + "' object cannot be interpreted as an integer");
    }

    /** Largest integer in bits an operator may build (Python's ints have no bound; templates need no more). */
    static final long MAX_INT_BITS = 1L << 16;

    /** An integral value (int, long, bool, BigInteger) as a BigInteger. */
    static BigInteger big(Object v) {
        if (v instanceof BigInteger b) return b;
        if (v instanceof Boolean b) return b ? BigInteger.ONE : BigInteger.ZERO;
        return BigInteger.valueOf(((Number) v).longValue());
    }

    /** An integer result as Python holds it: a Long when it fits, else the BigInteger. */
    static Object integer(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static BigInteger checkedBits(BigInteger v, String op) {
        if (v.bitLength() > MAX_INT_BITS) {
            throw new TemplateRenderException("'" + op + "' would build an integer of " + v.bitLength() + " bits, more than the limit of "
                    + MAX_INT_BITS);
        }
        return v;
    }

    /** Python's {@code divmod} for integers: the quotient rounded down and the remainder with the divisor's sign. */
    private static BigInteger[] floorDivide(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        if (qr[1].signum() != 0 && qr[1].signum() != b.signum()) {
            qr[0] = qr[0].subtract(BigInteger.ONE);
            qr[1] = qr[1].add(b);
        }
        return qr;
    }

    /** {@code " " * n}: empty for n ≤ 0, as in Python, and no longer than {@link #MAX_LENGTH}. */
    static String spaces(long n) {
        return n <= 0 ? "" : " ".repeat((int) checkedLength(n, "*"));
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    /** Python's type name, for error messages. */
    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof Boolean) return "bool";
        if (isIntegral(v)) return "int";
        if (v instanceof Number) return "float";
        if (v instanceof String) return "str";
        if (v instanceof Tuple) return "tuple";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        if (v instanceof Namespace) return "Namespace";
        if (v instanceof JinjaCallable) return "function";
        return v.getClass().getSimpleName();
    }

    // ---- truthiness, str, repr ----

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (isIntegral(v)) return toLong(v) != 0;
        if (v instanceof Number n) return n.doubleValue() != 0.0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof Collection<?> c) return !c.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Python's {@code str(v)}, except that undefined is the empty string (as Jinja prints it). */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        return repr(v);
    }

    /** Python's {@code repr(v)}. */
    static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Undefined) return "";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof BigDecimal d) return floatRepr(d.doubleValue());
        if (isIntegral(v)) return v.toString();
        if (v instanceof Number n) return floatRepr(n.doubleValue());
        if (v instanceof String s) return stringRepr(s);
        if (v instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(repr(t.get(i)));
            }
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(repr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        return v.toString();
    }

    /** Python's shortest round-trip float repr: {@code 1.0}, {@code 0.1}, {@code 1e-05}, {@code 1e+16}, {@code inf}. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int decimalPoint = digits.length() - exact.scale(); // value = 0.DIGITS x 10^decimalPoint
        String sign = d < 0 ? "-" : "";
        if (decimalPoint > -4 && decimalPoint <= 16) {
            if (decimalPoint <= 0) return sign + "0." + "0".repeat(-decimalPoint) + digits;
            if (decimalPoint >= digits.length()) {
                return sign + digits + "0".repeat(decimalPoint - digits.length()) + ".0";
            }
            return sign + digits.substring(0, decimalPoint) + "." + digits.substring(decimalPoint);
        }
        int exponent = decimalPoint - 1;
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }

    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        s.codePoints().forEach(c -> {
            if (c == quote || c == '\\') sb.append('\\').appendCodePoint(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (isPrintable(c)) sb.appendCodePoint(c);
            else if (c < 0x100) sb.append(String.format("\\x%02x", c));
            else if (c < 0x10000) sb.append(String.format("\\u%04x", c));
            else sb.append(String.format("\\U%08x", c));
        });
        return sb.append(quote).toString();
    }

    private static boolean isPrintable(int c) {
        if (c == ' ') return true;
        int type = Character.getType(c);
        return switch (type) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's {@code str.isspace()} for one code point. */
    static boolean isSpace(int c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0
                || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f
                || c == 0x205f || c == 0x3000;
    }

    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    static String lstrip(String s) {
        int start = 0;
        while (start < s.length() && isSpace(s.charAt(start))) start++;
        return s.substring(start);
    }

    static String strip(String s) {
        return lstrip(rstrip(s));
    }

    // ---- equality and ordering ----

    static boolean eq(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a == null || b == null) return a == b;
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) return big(a).equals(big(b));
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering; a TemplateRenderException for values Python cannot order. */
    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) return big(a).compareTo(big(b));
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), op);
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new TemplateRenderException("'" + op + "' not supported between instances of '" + typeName(a)
                + "' and '" + typeName(b) + "'");
    }

    private static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    /** Python's {@code needle in haystack}. */
    static boolean contains(Object haystack, Object needle) {
        if (haystack instanceof String s) {
            if (!(needle instanceof String n)) {
                throw new TemplateRenderException("'in <string>' requires string as left operand, not "
                        + typeName(needle));
            }
            return s.contains(n);
        }
        if (haystack instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) if (eq(k, needle)) return true;
            return false;
        }
        if (haystack instanceof Namespace ns) return needle instanceof String n && ns.attributes.containsKey(n);
        if (haystack instanceof Undefined) return false;
        if (haystack instanceof List<?> l) {
            for (Object o : l) if (eq(o, needle)) return true;
            return false;
        }
        throw new TemplateRenderException("argument of type '" + typeName(haystack) + "' is not iterable");
    }

    // ---- iteration and size ----

    /** The items a for loop visits: list items, dict keys, string characters; nothing for undefined. */
    static List<Object> iterate(Object v) {
        if (v instanceof Undefined) return List.of();
        if (v instanceof List<?> l) return new ArrayList<>(l);
        if (v instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
        if (v instanceof String s) return codePointStrings(s);
        if (v instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            for (Iterator<?> i = it.iterator(); i.hasNext(); ) out.add(i.next());
            return out;
        }
        throw new TemplateRenderException("'" + typeName(v) + "' object is not iterable");
    }

    static List<Object> codePointStrings(String s) {
        List<Object> out = new ArrayList<>();
        s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
        return out;
    }

    static int length(Object v) {
        if (v instanceof Undefined) return 0;
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof Collection<?> c) return c.size();
        if (v instanceof Map<?, ?> m) return m.size();
        throw new TemplateRenderException("object of type '" + typeName(v) + "' has no len()");
    }

    // ---- arithmetic ----

    static Object add(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) return integer(big(a).add(big(b)));
            return toDouble(a) + toDouble(b);
        }
        if (a instanceof String x && b instanceof String y) return checkedLength((long) x.length() + y.length(), "+") == 0 ? "" : x + y;
        if (a instanceof List<?> x && b instanceof List<?> y) {
            checkedLength((long) x.size() + y.size(), "+");
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return out;
        }
        if (a instanceof String || a instanceof List) {
            throw new TemplateRenderException("can only concatenate " + typeName(a) + " (not \"" + typeName(b)
                    + "\") to " + typeName(a));
        }
        throw unsupported("+", a, b);
    }

    static Object subtract(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) return integer(big(a).subtract(big(b)));
            return toDouble(a) - toDouble(b);
        }
        throw unsupported("-", a, b);
    }

    /** Longest string (in chars) or list an operator may build: templates render prompts, not gigabytes. */
    static final long MAX_LENGTH = 16L << 20;

    private static long checkedLength(long length, String op) {
        if (length > MAX_LENGTH) {
            throw new TemplateRenderException("'" + op + "' would build a value of " + length + " items, more than the limit of " + MAX_LENGTH);
        }
        return length;
    }

    private static String repeat(String s, long times) {
        long n = Math.max(0, times);
        checkedLength(s.length() * Math.min(n, MAX_LENGTH + 1), "*");
        return s.repeat((int) n);
    }

    static Object multiply(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) return integer(checkedBits(big(a).multiply(big(b)), "*"));
            return toDouble(a) * toDouble(b);
        }
        if (a instanceof String s && isIntegral(b)) return repeat(s, toLong(b));
        if (isIntegral(a) && b instanceof String s) return repeat(s, toLong(a));
        if (a instanceof List<?> l && isIntegral(b)) {
            checkedLength(l.size() * Math.min(Math.max(0, toLong(b)), MAX_LENGTH + 1), "*");
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < toLong(b); i++) out.addAll(l);
            return out;
        }
        throw unsupported("*", a, b);
    }

    static Object divide(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (toDouble(b) == 0) throw new TemplateRenderException("division by zero");
            return toDouble(a) / toDouble(b);
        }
        throw unsupported("/", a, b);
    }

    static Object floorDivide(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (toDouble(b) == 0) throw new TemplateRenderException("integer division or modulo by zero");
            if (isIntegral(a) && isIntegral(b)) return integer(floorDivide(big(a), big(b))[0]);
            return Math.floor(toDouble(a) / toDouble(b));
        }
        throw unsupported("//", a, b);
    }

    static Object modulo(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (toDouble(b) == 0) throw new TemplateRenderException("integer division or modulo by zero");
            if (isIntegral(a) && isIntegral(b)) return integer(floorDivide(big(a), big(b))[1]);
            double x = toDouble(a);
            double y = toDouble(b);
            return x - Math.floor(x / y) * y;
        }
        throw unsupported("%", a, b);
    }

    static Object power(Object a, Object b) {
        checkDefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b) && big(b).signum() >= 0) {
                BigInteger base = big(a);
                if (base.abs().compareTo(BigInteger.ONE) <= 0) { // 0, 1 and -1 stay small whatever the exponent
                    if (base.signum() == 0) return big(b).signum() == 0 ? 1L : 0L;
                    return base.signum() > 0 || !big(b).testBit(0) ? 1L : -1L;
                }
                long bits = (long) base.abs().bitLength() * Math.min(toLong(b), MAX_INT_BITS + 1);
                if (bits > MAX_INT_BITS) {
                    throw new TemplateRenderException("'**' would build an integer of about " + bits + " bits, more than the limit of "
                            + MAX_INT_BITS);
                }
                return integer(base.pow((int) toLong(b)));
            }
            return Math.pow(toDouble(a), toDouble(b));
        }
        throw unsupported("**", a, b);
    }

    static Object negate(Object a) {
        checkDefined(a, a);
        if (isIntegral(a)) return integer(big(a).negate());
        if (a instanceof Number n) return -n.doubleValue();
        throw new TemplateRenderException("bad operand type for unary -: '" + typeName(a) + "'");
    }

    private static void checkDefined(Object a, Object b) {
        if (a instanceof Undefined u) throw new TemplateRenderException(u.error());
        if (b instanceof Undefined u) throw new TemplateRenderException(u.error());
    }

    private static TemplateRenderException unsupported(String op, Object a, Object b) {
        return new TemplateRenderException("unsupported operand type(s) for " + op + ": '" + typeName(a)
                + "' and '" + typeName(b) + "'");
    }

    /** A fresh insertion-ordered map, the Python dict. */
    static Map<Object, Object> newDict() {
        return new LinkedHashMap<>();
    }
}
