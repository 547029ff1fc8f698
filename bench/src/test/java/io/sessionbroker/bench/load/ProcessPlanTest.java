package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProcessPlanTest {

  @Test
  void devicesWithinOneProcessBudgetStayInOneProcess() {
    // when
    List<ProcessPlan.Range> plan = ProcessPlan.split(18_000, 18_000);

    // then
    assertThat(plan).containsExactly(new ProcessPlan.Range(0, 18_000));
  }

  @Test
  void nineteenThousandDevicesSplitEvenlyOverTwoProcesses() {
    // when
    List<ProcessPlan.Range> plan = ProcessPlan.split(19_000, 18_000);

    // then
    assertThat(plan)
        .containsExactly(new ProcessPlan.Range(0, 9_500), new ProcessPlan.Range(9_500, 9_500));
  }

  @Test
  void rangesCoverEveryDeviceOnceAndNoneExceedsTheBudget() {
    // when
    List<ProcessPlan.Range> plan = ProcessPlan.split(1_000_001, 18_000);

    // then
    assertThat(plan).hasSize(56);
    int next = 0;
    for (ProcessPlan.Range r : plan) {
      assertThat(r.first()).isEqualTo(next);
      assertThat(r.count()).isBetween(17_857, 18_000);
      next += r.count();
    }
    assertThat(next).isEqualTo(1_000_001);
  }
}
