package io.sessionbroker.broker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.broker.BrokerHarness;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies {@code http.adminToken}: with it set, every {@code /api} call needs {@code
 * Authorization: Bearer <token>} (401 otherwise, as JSON), while {@code /health}, {@code /ready}
 * and {@code /metrics} stay open; and HTTP bound beyond loopback without it refuses to start.
 */
@Timeout(60)
class AdminTokenIT {

  private static final String TOKEN = "s3cret-admin-token-for-tests";
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(conf -> conf.getJsonObject("http").put("adminToken", TOKEN));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  private static HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + harness.broker.httpPort() + path))
            .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HttpApiIT.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void apiWithoutTheTokenOrWithAWrongOneIs401() throws Exception {
    HttpResponse<String> none = get("/api/sessions/count", null);
    HttpResponse<String> wrong = get("/api/sessions/count", "Bearer not-the-token");
    HttpResponse<String> stream = get("/api/events/stream", null);
    HttpResponse<String> sockJs = get("/eventbus/info", null);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("www-authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(new JsonObject(none.body()).getString("message")).contains("admin token");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(stream.statusCode()).isEqualTo(401);
    assertThat(sockJs.statusCode()).isEqualTo(401);
  }

  @Test
  void theSockJsBridgeAndTheStreamTakeTheTokenAsAQueryParameter() throws Exception {
    assertThat(get("/eventbus/info?access_token=" + TOKEN, null).statusCode()).isEqualTo(200);
    assertThat(get("/api/sessions/count?access_token=" + TOKEN, null).statusCode()).isEqualTo(200);
  }

  @Test
  void apiWithTheTokenAnswers() throws Exception {
    HttpResponse<String> count = get("/api/sessions/count", "Bearer " + TOKEN);

    assertThat(count.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(count.body()).containsKey("total")).isTrue();
  }

  /**
   * Verifies that the scheme of the Authorization header is read case-insensitively, as RFC 9110
   * §11.1 says: {@code bearer <token>} is the token.
   */
  @Test
  void theBearerSchemeIsCaseInsensitive() throws Exception {
    assertThat(get("/api/sessions/count", "bearer " + TOKEN).statusCode()).isEqualTo(200);
    assertThat(get("/api/sessions/count", "BEARER " + TOKEN).statusCode()).isEqualTo(200);
  }

  @Test
  void healthReadinessAndMetricsNeedNoToken() throws Exception {
    assertThat(get("/health", null).statusCode()).isEqualTo(200);
    assertThat(get("/ready", null).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", null).statusCode()).isEqualTo(200);
  }

  @Test
  void httpBeyondLoopbackWithoutATokenRefusesToStart() {
    JsonObject conf = harness.conf.copy();
    conf.getJsonObject("http").put("host", "0.0.0.0").put("adminToken", "");

    assertThatThrownBy(() -> BrokerHarness.config(conf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http.adminToken");
  }
}
