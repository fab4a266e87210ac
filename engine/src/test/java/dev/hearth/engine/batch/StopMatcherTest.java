package dev.hearth.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {
    @Test
    void withoutStopsEverythingPassesThrough() {
        var m = new StopMatcher(List.of());
        assertThat(m.push("Hello")).isEqualTo("Hello");
        assertThat(m.push(" world")).isEqualTo(" world");
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void holdsBackAPossibleStartAndReleasesItWhenItIsNot() {
        var m = new StopMatcher(List.of("STOP"));
        assertThat(m.push("abc S")).isEqualTo("abc ");
        assertThat(m.held()).isEqualTo(1);
        assertThat(m.push("T")).isEmpty();
        assertThat(m.push("x")).isEqualTo("STx");
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void findsAStopSplitOverManyPiecesAndNeverEmitsIt() {
        var m = new StopMatcher(List.of("\n\nUser:"));
        StringBuilder out = new StringBuilder();
        for (String p : new String[] {"Sure.", "\n", "\nUs", "er", ":", " more"}) out.append(m.push(p));
        assertThat(m.stopped()).isTrue();
        assertThat(out.toString()).isEqualTo("Sure.");
        assertThat(m.push("after")).isEmpty();
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        var m = new StopMatcher(List.of("world", "lo w"));
        assertThat(m.push("hello world")).isEqualTo("hel");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void aStopInsideOnePieceCutsThePiece() {
        var m = new StopMatcher(List.of("."));
        assertThat(m.push("One. Two")).isEqualTo("One");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void overlappingPrefixesKeepTheLongestCandidate() {
        var m = new StopMatcher(List.of("aab"));
        assertThat(m.push("xaa")).isEqualTo("x");
        assertThat(m.push("a")).isEqualTo("a"); // "aaa": only the last "aa" can still start "aab"
        assertThat(m.push("b")).isEmpty();
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void flushReturnsWhatWasHeld() {
        var m = new StopMatcher(List.of("###"));
        assertThat(m.push("end ##")).isEqualTo("end ");
        assertThat(m.flush()).isEqualTo("##");
    }
}
