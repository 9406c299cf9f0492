package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into tokens with the whitespace rules transformers' chat templates run under: Jinja's
 * {@code trim_blocks=True} (the first newline after a block or comment tag is dropped), {@code lstrip_blocks=True}
 * (spaces and tabs before a block or comment tag at the start of a line are dropped), {@code -} / {@code +} whitespace
 * control on tags, and {@code keep_trailing_newline=False} (one trailing newline of the source is dropped).
 */
final class Lexer {
    enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Type type, String value, int line, int column) {
        boolean is(Type t, String v) {
            return type == t && value.equals(v);
        }

        boolean isOp(String v) {
            return is(Type.OP, v);
        }

        boolean isName(String v) {
            return is(Type.NAME, v);
        }
    }

    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%[-+]?\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");
    private static final Pattern FLOAT = Pattern.compile(
            "(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?[eE][+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)");
    private static final Pattern INT = Pattern.compile("(\\d+_)*\\d+");
    private static final Pattern NAME = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_]*");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">",
        "=", ".", ":", "|", ",", ";",
    };

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private final int[] lineStarts;
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String source) {
        String normalized = source.replace("\r\n", "\n").replace('\r', '\n');
        this.src = normalized.endsWith("\n") ? normalized.substring(0, normalized.length() - 1) : normalized;
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 0; i < src.length(); i++) if (src.charAt(i) == '\n') starts.add(i + 1);
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        while (pos < src.length()) {
            int tag = nextTagStart(pos);
            if (tag < 0) {
                emitText(pos, src.substring(pos));
                pos = src.length();
                break;
            }
            char kind = src.charAt(tag + 1);
            char sign = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            String text = src.substring(pos, tag);
            if (sign == '-') {
                text = Py.rstrip(text);
            } else if (sign != '+' && kind != '{') {
                text = lstripBlock(text);
            }
            emitText(pos, text);
            boolean hasSign = sign == '-' || sign == '+';
            int contentStart = tag + 2 + (hasSign ? 1 : 0);
            Matcher raw = RAW_BEGIN.matcher(src).region(tag, src.length());
            if (kind == '%' && raw.lookingAt()) {
                lexRaw(tag, raw);
            } else if (kind == '#') {
                lexComment(tag, contentStart);
            } else {
                lexTag(tag, kind == '{', contentStart);
            }
        }
        tokens.add(token(Type.EOF, "", src.length()));
    }

    private int nextTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** lstrip_blocks: drop spaces before a block tag when only whitespace precedes it on its line. */
    private String lstripBlock(String text) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        if (lineStart == text.length()) return text;
        for (int i = lineStart; i < text.length(); i++) {
            if (!Py.isSpace(text.charAt(i))) return text;
        }
        return text.substring(0, lineStart);
    }

    private void emitText(int at, String text) {
        if (!text.isEmpty()) tokens.add(token(Type.TEXT, text, at));
    }

    private void lexComment(int tag, int contentStart) {
        int end = src.indexOf("#}", contentStart);
        if (end < 0) throw error("missing end of comment tag", tag);
        char before = end > contentStart ? src.charAt(end - 1) : 0;
        finishTag(end + 2, before);
    }

    /** Moves past a tag end at {@code after}, applying {@code -} (strip all), {@code +} (keep), or trim_blocks. */
    private void finishTag(int after, char sign) {
        int p = after;
        if (sign == '-') {
            while (p < src.length() && Py.isSpace(src.charAt(p))) p++;
        } else if (sign != '+' && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        lineStarting = p > 0 && src.charAt(p - 1) == '\n';
        pos = p;
    }

    private void lexRaw(int tag, Matcher begin) {
        int bodyStart = begin.end();
        if (!begin.group(1).isEmpty()) {
            while (bodyStart < src.length() && Py.isSpace(src.charAt(bodyStart))) bodyStart++;
        }
        Matcher end = RAW_END.matcher(src);
        if (!end.find(bodyStart)) throw error("missing {% endraw %} for this raw block", tag);
        String body = src.substring(bodyStart, end.start());
        if (end.group(1).equals("-")) body = Py.rstrip(body);
        emitText(bodyStart, body);
        String sign = end.group(2);
        finishTag(end.end(), sign.isEmpty() ? 0 : sign.charAt(0));
    }

    private void lexTag(int tag, boolean variable, int contentStart) {
        tokens.add(token(variable ? Type.VAR_BEGIN : Type.BLOCK_BEGIN, variable ? "{{" : "{%", tag));
        String close = variable ? "}}" : "%}";
        StringBuilder brackets = new StringBuilder(); // open ( [ { : the tag cannot end inside them
        int p = contentStart;
        while (true) {
            while (p < src.length() && Py.isSpace(src.charAt(p))) p++;
            if (p >= src.length()) {
                throw error("unexpected end of template, expected '" + close + "'", tag);
            }
            if (!brackets.isEmpty()) {
                p = lexExpressionToken(p);
                trackBrackets(brackets);
                continue;
            }
            if (src.startsWith("-" + close, p)) {
                tokens.add(token(variable ? Type.VAR_END : Type.BLOCK_END, close, p));
                finishTag(p + 3, '-');
                return;
            }
            if (!variable && src.startsWith("+" + close, p)) {
                tokens.add(token(Type.BLOCK_END, close, p));
                finishTag(p + 3, '+');
                return;
            }
            if (src.startsWith(close, p)) {
                tokens.add(token(variable ? Type.VAR_END : Type.BLOCK_END, close, p));
                if (variable) {
                    pos = p + 2;
                    lineStarting = false;
                } else {
                    finishTag(p + 2, (char) 0);
                }
                return;
            }
            p = lexExpressionToken(p);
            trackBrackets(brackets);
        }
    }

    /** Jinja's balancing stack: pushes an opening bracket, pops on its match, rejects a stray closing one. */
    private void trackBrackets(StringBuilder open) {
        Token last = tokens.get(tokens.size() - 1);
        if (last.type() != Type.OP) return;
        String v = last.value();
        if (v.equals("(") || v.equals("[") || v.equals("{")) {
            open.append(v);
        } else if (v.equals(")") || v.equals("]") || v.equals("}")) {
            String expected = open.isEmpty() ? null : switch (open.charAt(open.length() - 1)) {
                case '(' -> ")";
                case '[' -> "]";
                default -> "}";
            };
            if (!v.equals(expected)) {
                throw new TemplateSyntaxException("unexpected '" + v + "'"
                        + (expected == null ? "" : ", expected '" + expected + "'"), last.line(), last.column());
            }
            open.setLength(open.length() - 1);
        }
    }

    private int lexExpressionToken(int p) {
        char c = src.charAt(p);
        if (c == '\'' || c == '"') return lexString(p, c);
        if (c >= '0' && c <= '9') { // ASCII only, as Jinja's number pattern starts (another script's digit is no token)
            boolean afterDot = p > 0 && src.charAt(p - 1) == '.';
            Matcher f = FLOAT.matcher(src).region(p, src.length());
            if (!afterDot && f.lookingAt()) {
                tokens.add(token(Type.FLOAT, f.group().replace("_", ""), p));
                return f.end();
            }
            Matcher i = INT.matcher(src).region(p, src.length());
            i.lookingAt();
            tokens.add(token(Type.INT, i.group().replace("_", ""), p));
            return i.end();
        }
        Matcher n = NAME.matcher(src).region(p, src.length());
        if (n.lookingAt()) {
            tokens.add(token(Type.NAME, n.group(), p));
            return n.end();
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, p)) {
                tokens.add(token(Type.OP, op, p));
                return p + op.length();
            }
        }
        throw error("unexpected character '" + c + "'", p);
    }

    private int lexString(int start, char quote) {
        StringBuilder sb = new StringBuilder();
        int p = start + 1;
        while (p < src.length()) {
            char c = src.charAt(p);
            if (c == quote) {
                tokens.add(token(Type.STRING, sb.toString(), start));
                return p + 1;
            }
            if (c == '\\' && p + 1 < src.length()) {
                p = unescape(p + 1, sb, start);
                continue;
            }
            sb.append(c);
            p++;
        }
        throw error("unterminated string literal", start);
    }

    /** Python string-literal escapes; returns the position after the escape. */
    private int unescape(int p, StringBuilder sb, int literalStart) {
        char e = src.charAt(p);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case 'a' -> sb.append('\u0007');
            case '0' -> sb.append('\0');
            case '\\', '\'', '"' -> sb.append(e);
            case '\n' -> { }
            case 'x', 'u', 'U' -> {
                int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (p + 1 + len > src.length()) throw error("truncated \\" + e + " escape", literalStart);
                try {
                    sb.appendCodePoint(Integer.parseInt(src.substring(p + 1, p + 1 + len), 16));
                } catch (IllegalArgumentException ex) {
                    throw error("bad \\" + e + " escape", literalStart);
                }
                return p + 1 + len;
            }
            default -> sb.append('\\').append(e);
        }
        return p + 1;
    }

    private Token token(Type type, String value, int offset) {
        int[] lc = lineColumn(offset);
        return new Token(type, value, lc[0], lc[1]);
    }

    private TemplateSyntaxException error(String message, int offset) {
        int[] lc = lineColumn(offset);
        return new TemplateSyntaxException(message, lc[0], lc[1]);
    }

    private int[] lineColumn(int offset) {
        int found = java.util.Arrays.binarySearch(lineStarts, offset);
        int line = found >= 0 ? found : -found - 2;
        return new int[] {line + 1, offset - lineStarts[line] + 1};
    }
}
