package qwen2vl4j.text;

/**
 * M-RoPE position ids of a prompt (spec §6.4).
 *
 * @param positions  {@code [3][L]}: temporal, height and width position of every token
 * @param ropeDelta  {@code max(positions) + 1 − L}: a token generated at sequence index {@code s}
 *                   gets position {@code s + ropeDelta} on all three axes
 */
public record RopePositions(int[][] positions, long ropeDelta) {
    public RopePositions {
        if (positions.length != 3) throw new IllegalArgumentException("positions must have 3 axes, found " + positions.length);
        if (positions[1].length != positions[0].length || positions[2].length != positions[0].length) {
            throw new IllegalArgumentException("position axes differ in length: " + positions[0].length + ", "
                    + positions[1].length + ", " + positions[2].length);
        }
    }

    /** Number of tokens. */
    public int length() {
        return positions[0].length;
    }
}
