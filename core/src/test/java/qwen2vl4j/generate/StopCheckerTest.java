package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StopCheckerTest {

    private static StopChecker checker(String... stops) {
        return new StopChecker(SamplingParams.builder().stopStrings(stops).maxNewTokens(3).build());
    }

    @Test
    void findsAStopStringSpanningPiecesAndCutsBeforeIt() {
        StopChecker s = checker("END");
        assertFalse(s.append("abc E"));
        assertEquals("abc ", s.release());  // "E" may start "END": held back
        assertFalse(s.append("N"));
        assertEquals("", s.release());
        assertTrue(s.append("Dxyz"));
        assertEquals("abc ", s.text());
        assertEquals("", s.releaseAll());
    }

    @Test
    void releasesHeldTextOnceItCannotBeAStopString() {
        StopChecker s = checker("END");
        assertFalse(s.append("abE"));
        assertEquals("ab", s.release());
        assertFalse(s.append("x"));
        assertEquals("Ex", s.release());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopChecker s = checker("cd", "bcde");
        assertTrue(s.append("abcdef"));
        assertEquals("a", s.text());  // "bcde" starts first although listed second
        StopChecker t = checker("cd", "bcde");
        assertTrue(t.append("abcdxx"));
        assertEquals("ab", t.text());
    }

    @Test
    void aStopStringInsideOnePieceAfterEarlierText() {
        StopChecker s = checker("\n\n");
        assertFalse(s.append("line\n"));
        assertEquals("line", s.release());
        assertTrue(s.append("\nmore"));
        assertEquals("line", s.text());
    }

    @Test
    void lengthLimit() {
        StopChecker s = checker();
        assertFalse(s.reachedLength(2));
        assertTrue(s.reachedLength(3));
        assertFalse(s.append("abc"));
        assertEquals("abc", s.release());
    }
}
