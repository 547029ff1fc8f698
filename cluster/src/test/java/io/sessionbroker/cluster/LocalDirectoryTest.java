package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalDirectoryTest {

  private final LocalDirectory directory = new LocalDirectory();

  @Test
  void namesThePreviousHolderAndRaisesTheEpochOnEveryClaim() {
    DeviceDirectory.Claim first = directory.claim("d1", 11, "n1").result();
    DeviceDirectory.Claim second = directory.claim("d1", 12, "n1").result();

    assertThat(first).isEqualTo(new DeviceDirectory.Claim(1, null));
    assertThat(second).isEqualTo(new DeviceDirectory.Claim(2, new DeviceDirectory.Holder(11, "n1")));
    assertThat(directory.claim("d2", 13, "n1").result().epoch()).isEqualTo(1);
  }

  @Test
  void releasesOnlyTheSessionThatStillHoldsTheDevice() {
    directory.claim("d1", 11, "n1");
    directory.claim("d1", 12, "n1");

    assertThat(directory.release("d1", 11).result()).isFalse();
    assertThat(directory.release("d1", 12).result()).isTrue();
    assertThat(directory.release("d1", 12).result()).isFalse();
    assertThat(directory.release("unknown", 1).result()).isFalse();
  }

  @Test
  void keepsTheEpochAcrossSessionsButNoHolder() {
    directory.claim("d1", 11, "n1");
    directory.release("d1", 11);

    assertThat(directory.claim("d1", 12, "n1").result()).isEqualTo(new DeviceDirectory.Claim(2, null));
  }
}
