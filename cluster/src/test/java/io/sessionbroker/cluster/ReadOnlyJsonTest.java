package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.impl.codecs.JsonObjectMessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verifies that a published event's body reaches every local consumer without a deep copy each, and
 * that no consumer can change what the others read.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadOnlyJsonTest {

  private static JsonObject closeEvent() {
    return new JsonObject()
        .put("deviceId", "sensor-42")
        .put("sessionId", "de06e83a00000001")
        .put("transport", "tcp")
        .put("reason", "TIMEOUT")
        .put("at", 1795672950602L)
        .put("status", new JsonObject().put("battery", 80).put("cells", new JsonArray().add(1)));
  }

  /**
   * The reach into Vert.x: the event bus copies a published JSON object for each local consumer
   * with {@code copy()}. A plain body reaches two consumers as two maps; a read-only one as one.
   */
  @Test
  void localConsumersOfAPublishedEventShareOneMap(Vertx vertx, VertxTestContext test) {
    List<JsonObject> plain = new CopyOnWriteArrayList<>();
    List<JsonObject> shared = new CopyOnWriteArrayList<>();
    Runnable check =
        () -> {
          if (plain.size() + shared.size() < 4) {
            return;
          }
          test.verify(
              () -> {
                assertThat(plain).hasSize(2);
                assertThat(plain.get(0).getMap()).isNotSameAs(plain.get(1).getMap());
                assertThat(shared)
                    .hasSize(2)
                    .allSatisfy(body -> assertThat(body).isEqualTo(closeEvent()));
                assertThat(shared.get(0).getMap())
                    .as("the two consumers of one event read one map")
                    .isSameAs(shared.get(1).getMap());
                assertThat(shared.get(0).getClass()).isEqualTo(JsonObject.class);
              });
          test.completeNow();
        };
    List<Future<Void>> registered = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      registered.add(consumer(vertx, "plain", plain, check));
      registered.add(consumer(vertx, "shared", shared, check));
    }
    Future.all(registered)
        .onComplete(
            test.succeeding(
                ready -> {
                  vertx.eventBus().publish("plain", closeEvent());
                  vertx.eventBus().publish("shared", ReadOnlyJson.of(closeEvent()));
                }));
  }

  private static Future<Void> consumer(
      Vertx vertx, String address, List<JsonObject> bodies, Runnable check) {
    return vertx
        .eventBus()
        .<JsonObject>localConsumer(
            address,
            m -> {
              bodies.add(m.body());
              check.run();
            })
        .completion();
  }

  @Test
  void aConsumerCannotChangeWhatTheOthersRead() {
    JsonObject received = ReadOnlyJson.of(closeEvent()).copy();

    assertThatThrownBy(() -> received.put("reason", "KICKED"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> received.remove("reason"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(received::clear).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> received.getJsonObject("status").put("battery", 0))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> received.getJsonObject("status").getJsonArray("cells").add(2))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(received).isEqualTo(closeEvent());
  }

  @Test
  void aConsumersOwnCopyIsMutableAndTheEventIsNotChanged() {
    JsonObject received = ReadOnlyJson.of(closeEvent()).copy();

    JsonObject mine = received.copy().put("seq", 7L);
    mine.getJsonObject("status").put("battery", 0);

    assertThat(mine.getLong("seq")).isEqualTo(7L);
    assertThat(received).isEqualTo(closeEvent());
  }

  /** A node or a bridge client reads it as it read a plain body: the same bytes, the same JSON. */
  @Test
  void onTheClustersWireItIsAnOrdinaryJsonObject() {
    JsonObjectMessageCodec codec = new JsonObjectMessageCodec();
    Buffer plain = Buffer.buffer();
    Buffer shared = Buffer.buffer();
    codec.encodeToWire(plain, closeEvent());
    codec.encodeToWire(shared, ReadOnlyJson.of(closeEvent()));

    assertThat(shared).isEqualTo(plain);
    assertThat(codec.decodeFromWire(0, shared)).isEqualTo(closeEvent());
    assertThat(ReadOnlyJson.of(closeEvent()).encode()).isEqualTo(closeEvent().encode());
  }

  @Test
  void aReadOnlyBodyIsNotWrappedTwice() {
    JsonObject once = ReadOnlyJson.of(closeEvent());

    assertThat(ReadOnlyJson.of(once)).isSameAs(once);
  }
}
