package qwen2vl4j.text;

/**
 * M-RoPE position ids of new tokens ({@code position_ids} of {@code Qwen2VLModel.forward}, from
 * {@link RopeIndex}).
 *
 * @param positions {@code [3][L]}: temporal, height and width position of every token
 */
public record RopePositions(int[][] positions) {
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
