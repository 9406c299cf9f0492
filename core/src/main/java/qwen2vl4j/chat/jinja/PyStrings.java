package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Python {@code str} methods templates call: {@code strip}, {@code split}, {@code startswith}, ... */
final class PyStrings {
    static final Set<String> METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith", "split",
            "rsplit", "replace", "lower", "upper", "title", "capitalize", "find", "rfind", "count", "join",
            "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "splitlines");

    private PyStrings() {
    }

    static Object call(String s, String method, List<Object> args, Map<String, Object> kwargs) {
        return switch (method) {
            case "strip" -> strip(s, chars(method, args, kwargs), true, true);
            case "lstrip" -> strip(s, chars(method, args, kwargs), true, false);
            case "rstrip" -> strip(s, chars(method, args, kwargs), false, true);
            case "startswith" -> affix(s, Arguments.bind(method, args, kwargs, "prefix", "start", "end"), true);
            case "endswith" -> affix(s, Arguments.bind(method, args, kwargs, "suffix", "start", "end"), false);
            case "split" -> split(s, Arguments.bind(method, args, kwargs, "sep", "maxsplit"), false);
            case "rsplit" -> split(s, Arguments.bind(method, args, kwargs, "sep", "maxsplit"), true);
            case "replace" -> {
                Arguments a = Arguments.bind(method, args, kwargs, "old", "new", "count");
                yield replace(s, string(a.required(0, method, "old"), method),
                        string(a.required(1, method, "new"), method), Py.toLong(a.get(2, -1L)));
            }
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "title" -> Filters.apply("title", s, List.of(), Map.of());
            case "capitalize" -> Filters.capitalize(s);
            case "find" -> (long) s.indexOf(string(Arguments.bind(method, args, kwargs, "sub")
                    .required(0, method, "sub"), method));
            case "rfind" -> (long) s.lastIndexOf(string(Arguments.bind(method, args, kwargs, "sub")
                    .required(0, method, "sub"), method));
            case "count" -> count(s, string(Arguments.bind(method, args, kwargs, "sub").required(0, method, "sub"),
                    method));
            case "join" -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(Arguments.bind(method, args, kwargs, "iterable")
                        .required(0, method, "iterable"));
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) sb.append(s);
                    sb.append(string(items.get(i), method));
                }
                yield sb.toString();
            }
            case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Py::isSpace);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.equals(s.toLowerCase(Locale.ROOT));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.equals(s.toUpperCase(Locale.ROOT));
            case "splitlines" -> {
                List<Object> lines = new ArrayList<>(List.of(s.split("\r\n|\r|\n", -1)));
                if (!lines.isEmpty() && "".equals(lines.get(lines.size() - 1))) lines.remove(lines.size() - 1);
                yield lines;
            }
            default -> throw new TemplateRenderException("'str' object has no attribute '" + method + "'");
        };
    }

    private static String chars(String method, List<Object> args, Map<String, Object> kwargs) {
        Object chars = Arguments.bind(method, args, kwargs, "chars").get(0, null);
        return chars == null ? null : string(chars, method);
    }

    private static String string(Object v, String method) {
        if (!(v instanceof String s)) {
            throw new TemplateRenderException("str." + method + "() needs a string argument, got " + Py.typeName(v));
        }
        return s;
    }

    /** Python's strip family; {@code chars == null} strips whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) start++;
        while (right && end > start && stripped(s.charAt(end - 1), chars)) end--;
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static boolean affix(String s, Arguments a, boolean prefix) {
        Object wanted = a.required(0, prefix ? "startswith" : "endswith", prefix ? "prefix" : "suffix");
        int length = s.length();
        int start = a.get(1, null) == null ? 0 : clampIndex(Py.toLong(a.get(1, null)), length);
        int end = a.get(2, null) == null ? length : clampIndex(Py.toLong(a.get(2, null)), length);
        String window = start <= end ? s.substring(start, end) : "";
        List<Object> candidates = wanted instanceof List<?> l ? new ArrayList<>(l) : List.of(wanted);
        for (Object c : candidates) {
            String affix = string(c, prefix ? "startswith" : "endswith");
            if (prefix ? window.startsWith(affix) : window.endsWith(affix)) return true;
        }
        return false;
    }

    private static int clampIndex(long i, int length) {
        if (i < 0) i += length;
        return (int) Math.max(0, Math.min(length, i));
    }

    static List<Object> split(String s, Arguments a, boolean fromRight) {
        Object sepArg = a.get(0, null);
        long maxSplit = Py.toLong(a.get(1, -1L));
        List<Object> parts = new ArrayList<>();
        if (sepArg == null) {
            List<String> words = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && Py.isSpace(s.charAt(i))) i++;
                if (i >= s.length()) break;
                int j = i;
                while (j < s.length() && !Py.isSpace(s.charAt(j))) j++;
                words.add(s.substring(i, j));
                i = j;
            }
            if (maxSplit < 0 || words.size() <= maxSplit + 1) {
                parts.addAll(words);
                return parts;
            }
            return splitWhitespaceLimited(s, maxSplit, fromRight);
        }
        String sep = string(sepArg, "split");
        if (sep.isEmpty()) throw new TemplateRenderException("empty separator");
        List<String> pieces = new ArrayList<>();
        int from = 0;
        int at;
        while ((at = s.indexOf(sep, from)) >= 0) {
            pieces.add(s.substring(from, at));
            from = at + sep.length();
        }
        pieces.add(s.substring(from));
        if (maxSplit < 0 || pieces.size() <= maxSplit + 1) {
            parts.addAll(pieces);
            return parts;
        }
        int keep = (int) maxSplit;
        if (!fromRight) {
            parts.addAll(pieces.subList(0, keep));
            parts.add(String.join(sep, pieces.subList(keep, pieces.size())));
        } else {
            parts.add(String.join(sep, pieces.subList(0, pieces.size() - keep)));
            parts.addAll(pieces.subList(pieces.size() - keep, pieces.size()));
        }
        return parts;
    }

    private static List<Object> splitWhitespaceLimited(String s, long maxSplit, boolean fromRight) {
        List<Object> parts = new ArrayList<>();
        String rest = fromRight ? Py.rstrip(s) : Py.lstrip(s);
        for (long n = 0; n < maxSplit; n++) {
            if (!fromRight) {
                int j = 0;
                while (j < rest.length() && !Py.isSpace(rest.charAt(j))) j++;
                parts.add(rest.substring(0, j));
                rest = Py.lstrip(rest.substring(j));
            } else {
                int j = rest.length();
                while (j > 0 && !Py.isSpace(rest.charAt(j - 1))) j--;
                parts.add(0, rest.substring(j));
                rest = Py.rstrip(rest.substring(0, j));
            }
        }
        if (!rest.isEmpty()) {
            if (fromRight) parts.add(0, rest);
            else parts.add(rest);
        }
        return parts;
    }

    /** Python's {@code str.replace(old, new, count)}; a negative count replaces every occurrence. */
    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) return s.replace(old, replacement);
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            int i = 0;
            long done = 0;
            while (done < count && i <= s.length()) {
                sb.append(replacement);
                done++;
                if (i < s.length()) sb.append(s.charAt(i));
                i++;
            }
            if (i <= s.length()) sb.append(s, Math.min(i, s.length()), s.length());
            return sb.toString();
        }
        int from = 0;
        long done = 0;
        int at;
        while (done < count && (at = s.indexOf(old, from)) >= 0) {
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
            done++;
        }
        return sb.append(s.substring(from)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1L;
        long n = 0;
        int from = 0;
        int at;
        while ((at = s.indexOf(sub, from)) >= 0) {
            n++;
            from = at + sub.length();
        }
        return n;
    }
}
