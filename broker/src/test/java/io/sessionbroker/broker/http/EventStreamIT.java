package io.sessionbroker.broker.http;

import static io.sessionbroker.cluster.CloseReason.KICKED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies {@code GET /api/events/stream} as {@code curl -N} or a browser's EventSource reads it:
 * Server-Sent Events whose {@code id} is the event's {@code seq}, and a consumer that comes back
 * with {@code Last-Event-ID} gets every event after it — none missed, none twice.
 */
@Timeout(60)
class EventStreamIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /** One SSE event as the client parsed it. */
  record Sse(long id, String event, JsonObject data) {}

  /** A stream reader on its own thread: parsed events, in order. */
  static final class Stream implements AutoCloseable {
    final BlockingQueue<Sse> events = new LinkedBlockingQueue<>();
    private final InputStream body;

    Stream(BrokerHarness broker, String query, Long lastEventId) throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(
              URI.create(
                  "http://127.0.0.1:" + broker.broker.httpPort() + "/api/events/stream" + query));
      if (lastEventId != null) {
        request.header("Last-Event-ID", Long.toString(lastEventId));
      }
      HttpResponse<InputStream> response =
          HttpApiIT.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type").orElse(""))
          .startsWith("text/event-stream");
      body = response.body();
      Thread reader = new Thread(this::read, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        long id = -1;
        String event = "message";
        String data = null;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if (data != null) {
              events.add(new Sse(id, event, new JsonObject(data)));
            }
            id = -1;
            event = "message";
            data = null;
          } else if (line.startsWith("id: ")) {
            id = Long.parseLong(line.substring(4));
          } else if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data = line.substring(6);
          }
        }
      } catch (Exception e) {
        // the test closed the stream
      }
    }

    /** The next event about {@code deviceId}, skipping other tests' events. */
    Sse next(String deviceId) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        Sse sse = events.poll(100, TimeUnit.MILLISECONDS);
        if (sse != null && deviceId.equals(sse.data().getString("deviceId"))) {
          return sse;
        }
      }
      throw new AssertionError("no event for " + deviceId + " within 10 s");
    }

    @Override
    public void close() throws Exception {
      body.close();
    }
  }

  /** Verifies that opens and closes stream live, each with its seq as the SSE id. */
  @Test
  @ExpectCloses(KICKED)
  void opensAndClosesStreamLiveWithTheirSeqAsId() throws Exception {
    try (Stream stream = new Stream(harness, "", null);
        TcpDevice device = harness.tcpDevice()) {
      // when
      device.hello("sse-live-1", 30);
      long openSeq = harness.await(Addresses.OPENED, "sse-live-1").getLong("seq");
      harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "sse-live-1"));

      // then
      Sse opened = stream.next("sse-live-1");
      Sse closed = stream.next("sse-live-1");
      assertThat(opened.event()).isEqualTo(Addresses.OPENED);
      assertThat(opened.id()).isEqualTo(openSeq);
      assertThat(opened.data().getLong("seq")).isEqualTo(openSeq);
      assertThat(closed.event()).isEqualTo(Addresses.CLOSED);
      assertThat(closed.data().getString("reason")).isEqualTo("KICKED");
      assertThat(closed.id()).isGreaterThan(opened.id());
    }
  }

  /**
   * Verifies that a consumer that went away and comes back with Last-Event-ID gets exactly the
   * events it missed, in seq order, then the live ones.
   */
  @Test
  @ExpectCloses(KICKED)
  void aConsumerThatComesBackWithLastEventIdMissesNothing() throws Exception {
    long lastSeen;
    List<TcpDevice> later = new ArrayList<>();
    try (TcpDevice first = harness.tcpDevice()) {
      try (Stream stream = new Stream(harness, "", null)) {
        first.hello("sse-resume-1", 30);
        lastSeen = stream.next("sse-resume-1").id();
      }
      // while the consumer is away: the device is kicked, two more open
      harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "sse-resume-1"));
      harness.await(Addresses.CLOSED, "sse-resume-1");
      for (String id : List.of("sse-resume-2", "sse-resume-3")) {
        TcpDevice device = harness.tcpDevice();
        later.add(device);
        device.hello(id, 30);
        harness.await(Addresses.OPENED, id);
      }

      try (Stream back = new Stream(harness, "", lastSeen)) {
        List<Sse> missed = new ArrayList<>();
        for (String id : List.of("sse-resume-1", "sse-resume-2", "sse-resume-3")) {
          missed.add(back.next(id));
        }
        assertThat(missed.get(0).data().getString("reason")).isEqualTo("KICKED");
        assertThat(missed.get(0).id()).isGreaterThan(lastSeen);
        assertThat(missed).extracting(Sse::id).isSorted().doesNotHaveDuplicates();
      }
    } finally {
      for (String id : List.of("sse-resume-2", "sse-resume-3")) {
        harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", id));
      }
      for (TcpDevice device : later) {
        device.close();
      }
    }
  }

  /** Verifies that a Last-Event-ID that is not a number is refused with a JSON 400. */
  @Test
  void aLastEventIdThatIsNotANumberIs400() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + harness.broker.httpPort() + "/api/events/stream"))
            .header("Last-Event-ID", "yesterday")
            .timeout(Duration.ofSeconds(10))
            .build();

    HttpResponse<String> response =
        HttpApiIT.HTTP.send(request, HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getString("message")).contains("Last-Event-ID");
  }
}
