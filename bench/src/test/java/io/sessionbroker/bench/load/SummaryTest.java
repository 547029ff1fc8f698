package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SummaryTest {

  @Test
  void percentilesOfOneThousandValuesAreNearestRank() {
    // given 1..1000 in reverse order
    double[] values = IntStream.rangeClosed(1, 1000).map(i -> 1001 - i).asDoubleStream().toArray();

    // when
    Summary s = Summary.of(values);

    // then the 500th and the 990th smallest, never an interpolation
    assertThat(s.count()).isEqualTo(1000);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.p50()).isEqualTo(500);
    assertThat(s.p99()).isEqualTo(990);
    assertThat(s.max()).isEqualTo(1000);
  }

  @Test
  void negativeLatenessCountsAsEarly() {
    // when
    Summary s = Summary.of(new double[] {-0.5, 0, 3, -2});

    // then
    assertThat(s.negative()).isEqualTo(2);
    assertThat(s.min()).isEqualTo(-2);
  }

  @Test
  void aSingleValueIsEveryPercentile() {
    // when
    Summary s = Summary.of(new double[] {7});

    // then
    assertThat(s.p50()).isEqualTo(7);
    assertThat(s.p99()).isEqualTo(7);
  }

  @Test
  void anEmptySampleHasNoPercentiles() {
    // when
    Summary s = Summary.of(new double[0]);

    // then
    assertThat(s.count()).isZero();
    assertThat(s.p99()).isNaN();
    assertThat(s.toJson().getValue("p99")).isNull();
  }
}
