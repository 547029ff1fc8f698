package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies watch's reconnection delays: 0.5 s doubling to 10 s, from the start after a success. */
class BackoffTest {

  @Test
  void doublesUpToItsBoundAndStartsAgainAfterASuccess() {
    Backoff backoff = new Backoff(500, 10_000);

    assertThat(
            new long[] {
              backoff.next(),
              backoff.next(),
              backoff.next(),
              backoff.next(),
              backoff.next(),
              backoff.next(),
              backoff.next()
            })
        .containsExactly(500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000);
    backoff.reset();
    assertThat(backoff.next()).isEqualTo(500);
  }
}
