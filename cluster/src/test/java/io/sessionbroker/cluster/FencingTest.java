package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Verifies that a node cut off from its cluster's quorum refuses new sessions and keeps the ones it
 * has.
 */
class FencingTest {

  @Test
  void aFencedTableRefusesNewSessionsUntilUnfenced() {
    // given
    Tables t = new Tables();
    Session before = t.open("fence-1", 30_000);

    // when
    t.table.fence().raise();

    // then
    assertThat(t.table.open(t.request("fence-2", "tcp", 30_000)).failed()).isTrue();
    assertThat(before.isOpen()).isTrue();
    t.table.fence().lower();
    assertThat(t.table.open(t.request("fence-2", "tcp", 30_000)).succeeded()).isTrue();
  }
}
