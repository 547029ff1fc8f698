package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.DeviceDirectory.Claim;
import io.sessionbroker.cluster.DeviceDirectory.Holder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies the standalone directory's contract (see {@link DeviceDirectory}). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LocalDirectoryTest {

  private final LocalDirectory directory = new LocalDirectory();

  @Test
  void aClaimReturnsThePreviousHolderAndTheNextEpoch() {
    // given
    Claim first = directory.claim("sensor-1", 11, "node-a").result();

    // when
    Claim second = directory.claim("sensor-1", 12, "node-b").result();

    // then
    assertThat(first).isEqualTo(new Claim(1, null));
    assertThat(second).isEqualTo(new Claim(2, new Holder(11, "node-a")));
  }

  @Test
  void releaseRemovesOnlyItsOwnSession() {
    // given: session 11 was taken over by 12
    directory.claim("sensor-1", 11, "node-a");
    directory.claim("sensor-1", 12, "node-a");

    // when: the late release of the taken-over session arrives
    boolean released = directory.release("sensor-1", 11).result();

    // then: 12 still holds the device
    assertThat(released).isFalse();
    assertThat(directory.claim("sensor-1", 13, "node-a").result().previous())
        .isEqualTo(new Holder(12, "node-a"));
  }

  @Test
  void releaseOfTheHolderFreesTheDeviceButKeepsItsEpoch() {
    // given
    directory.claim("sensor-1", 11, "node-a");

    // when
    boolean released = directory.release("sensor-1", 11).result();
    Claim next = directory.claim("sensor-1", 12, "node-a").result();

    // then
    assertThat(released).isTrue();
    assertThat(next).isEqualTo(new Claim(2, null));
  }

  @Test
  void releaseOfAnUnknownDeviceIsFalse() {
    assertThat(directory.release("nobody", 1).result()).isFalse();
  }
}
