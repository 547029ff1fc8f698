package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DevicesTest {

  @Test
  void udpHellosBackOffOneTwoFourEightSeconds() {
    assertThat(
            IntStream.rangeClosed(1, Devices.MAX_HELLOS)
                .mapToLong(Devices::helloBackoffNanos)
                .map(n -> n / 1_000_000_000L))
        .containsExactly(1L, 2L, 4L, 8L, 16L);
  }

  @Test
  void aDeviceGivesUpAfterThirtyOneSecondsWithoutWelcome() {
    // the last hello's wait included: long enough to outlast a broker stalled by a connect storm
    long total =
        IntStream.rangeClosed(1, Devices.MAX_HELLOS).mapToLong(Devices::helloBackoffNanos).sum();
    assertThat(total).isEqualTo(31_000_000_000L);
  }
}
