package dev.hearth.engine.batch;

import dev.hearth.engine.sampling.Logprobs;
import java.util.List;

/**
 * Output released after one generated token: text that is now safe to show (possibly empty: the token's
 * bytes may end mid-character, or its text may be the start of a stop string and is held back) and the
 * tokens whose text this release completes.
 *
 * @param text   new text, never part of a stop string
 * @param tokens tokens released with it, in order (empty when their text is still held back)
 */
public record TokenEvent(String text, List<Token> tokens) {
    /**
     * A generated token.
     *
     * @param id       token id
     * @param logprobs its log-probability and the top alternatives; null when the request asked for none
     */
    public record Token(int id, Logprobs.Result logprobs) {}
}
