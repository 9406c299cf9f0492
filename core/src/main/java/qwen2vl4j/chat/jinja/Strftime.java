package qwen2vl4j.chat.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's {@code strftime} directives for transformers' {@code strftime_now(format)} global (C locale). */
final class Strftime {
    private Strftime() {
    }

    static String format(String pattern, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 >= pattern.length()) {
                sb.append(c);
                continue;
            }
            char d = pattern.charAt(++i);
            switch (d) {
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(two(t.getYear() % 100));
                case 'm' -> sb.append(two(t.getMonthValue()));
                case 'd' -> sb.append(two(t.getDayOfMonth()));
                case 'H' -> sb.append(two(t.getHour()));
                case 'I' -> sb.append(two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12));
                case 'M' -> sb.append(two(t.getMinute()));
                case 'S' -> sb.append(two(t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    private static String two(int v) {
        return String.format("%02d", v);
    }
}
