package qwen2vl4j.io;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A choice among an enum's constants, named in lower case by the user (an option, a configuration field):
 * parsing case-insensitively, and an error that lists what was expected.
 */
public final class EnumSetting {
    private EnumSetting() {}

    /**
     * The constant of {@code type} named {@code name} (case-insensitive, surrounding blanks ignored).
     *
     * @param what the setting's name in the error, e.g. "KV cache type"
     * @throws IllegalArgumentException naming {@code name} and the constants expected
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String name, String what) {
        E[] values = type.getEnumConstants();
        for (E e : values) {
            if (e.name().equalsIgnoreCase(name.trim())) return e;
        }
        throw new IllegalArgumentException("unknown " + what + " '" + name + "': expected " + expected(values));
    }


    /** "a, b or c": the constants' names in lower case. */
    private static String expected(Enum<?>[] values) {
        String[] names = Arrays.stream(values).map(e -> e.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
        if (names.length == 1) return names[0];
        return Arrays.stream(names, 0, names.length - 1).collect(Collectors.joining(", ")) + " or " + names[names.length - 1];
    }
}
