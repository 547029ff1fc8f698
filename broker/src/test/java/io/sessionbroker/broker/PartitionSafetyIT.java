package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator taking nodes down one at a time reads from {@code GET /ready} and {@code
 * /metrics}: whether every partition's backup is in sync (Hazelcast's {@code isClusterSafe()}), so
 * that the next node may go (docs/cluster.md, "One fault at a time").
 */
@Timeout(240)
class PartitionSafetyIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * Verifies that a settled cluster reports its partitions safe on every node (in {@code /ready}
   * and as the gauge {@code sessionbroker_cluster_partitions_safe 1}), that a member frozen
   * (SIGSTOP) makes a survivor report them unsafe while its {@code /ready} stays 200, and that the
   * report is safe again once the cluster has settled without it.
   */
  @Test
  void readinessTellsWhetherTheNextNodeMayBeTakenDown() throws Exception {
    try (ThreeNodes cluster = ThreeNodes.start("partition-safety")) {
      // given: three members, migrations done
      for (int node = 0; node < 3; node++) {
        int n = node;
        Awaitility.await()
            .atMost(ThreeNodes.WAIT)
            .pollInterval(Duration.ofMillis(200))
            .until(() -> ready(cluster, n).body().getBoolean("partitionsSafe", false));
      }
      assertThat(get(cluster, 0, "/metrics").body())
          .containsPattern("(?m)^sessionbroker_cluster_partitions_safe\\{node=\"[^\"]+\"} 1\\.0$");

      // when: C stops answering (not yet removed: its replicas cannot be checked; then removed:
      // its partitions' backups are promoted and rebuilt on A and B)
      cluster.nodes[2].freeze();
      try {
        // then: A says "not safe" at some point, and stays in the load balancer meanwhile
        Awaitility.await()
            .atMost(ThreeNodes.WAIT)
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  Response ready = ready(cluster, 0);
                  assertThat(ready.status()).isEqualTo(200);
                  return !ready.body().getBoolean("partitionsSafe", true);
                });
        // and: safe again on A and B once the two have rebuilt the backups
        for (int node = 0; node < 2; node++) {
          int n = node;
          Awaitility.await()
              .atMost(ThreeNodes.WAIT)
              .pollInterval(Duration.ofMillis(200))
              .until(() -> ready(cluster, n).body().getBoolean("partitionsSafe", false));
        }
      } finally {
        cluster.nodes[2].resume();
      }
    }
  }

  private record Response(int status, JsonObject body) {}

  private static Response ready(ThreeNodes cluster, int node) throws Exception {
    HttpResponse<String> response = get(cluster, node, "/ready");
    return new Response(response.statusCode(), new JsonObject(response.body()));
  }

  private static HttpResponse<String> get(ThreeNodes cluster, int node, String path)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.port("http", node) + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
