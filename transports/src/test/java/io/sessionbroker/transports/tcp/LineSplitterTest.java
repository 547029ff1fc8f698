package io.sessionbroker.transports.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link LineSplitter}: lines cut at each newline, whatever the reads, and held while paused. */
class LineSplitterTest {

  private final List<String> lines = new ArrayList<>();
  private final LineSplitter splitter = new LineSplitter(line -> lines.add(line.toString()));

  /** The splitter whose line handler calls back into it. */
  private LineSplitter self;

  @Test
  void cutsLinesSplitAcrossReadsAndSeveralInOneRead() {
    // when a line arrives in three reads, then three lines (one empty, one CRLF) in one
    splitter.handle(Buffer.buffer("{\"type\":"));
    splitter.handle(Buffer.buffer("\"ping\""));
    splitter.handle(Buffer.buffer("}\nfirst\n\nsecond\r\nthi"));

    // then each line is handed on without its newline, the CR left to the reader
    assertThat(lines).containsExactly("{\"type\":\"ping\"}", "first", "", "second\r");
    assertThat(splitter.heldBytes()).isEqualTo(3);
  }

  @Test
  void holdsNothingOnceEveryLineIsHandedOn() {
    // when a line on its way completes
    splitter.handle(Buffer.buffer("hel"));
    assertThat(splitter.heldBytes()).isEqualTo(3);
    splitter.handle(Buffer.buffer("lo\n"));

    // then nothing is held
    assertThat(lines).containsExactly("hello");
    assertThat(splitter.heldBytes()).isZero();
  }

  @Test
  void holdsCompleteLinesBackWhilePausedAndHandsThemOnWhenResumed() {
    // given a pause from the handler of the first line (a hello: the session opens meanwhile)
    LineSplitter pausing =
        new LineSplitter(
            line -> {
              lines.add(line.toString());
              if (lines.size() == 1) {
                self.pause();
              }
            });
    self = pausing;

    // when the hello and two more lines arrive in one read, then another read
    pausing.handle(Buffer.buffer("hello\nping\ndata\n"));
    pausing.handle(Buffer.buffer("bye\n"));

    // then only the hello was handed on; the rest come once resumed, in order
    assertThat(lines).containsExactly("hello");
    assertThat(pausing.heldBytes()).isEqualTo("ping\ndata\nbye\n".length());
    pausing.resume();
    assertThat(lines).containsExactly("hello", "ping", "data", "bye");
    assertThat(pausing.heldBytes()).isZero();
  }

  @Test
  void aResumeFromTheLineHandlerHandsOnTheRestInOrderWithoutNesting() {
    // given a handler that resumes on every line, and records how deep it was called
    int[] depth = {0, 0};
    LineSplitter resuming =
        new LineSplitter(
            line -> {
              depth[0]++;
              depth[1] = Math.max(depth[1], depth[0]);
              lines.add(line.toString());
              self.resume();
              depth[0]--;
            });
    self = resuming;

    // when three lines arrive at once
    resuming.handle(Buffer.buffer("a\nb\nc\n"));

    // then they come in order, one at a time
    assertThat(lines).containsExactly("a", "b", "c");
    assertThat(depth[1]).isEqualTo(1);
  }
}
