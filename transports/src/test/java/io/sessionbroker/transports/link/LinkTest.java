package io.sessionbroker.transports.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the connection lifecycle every connection transport shares: the first terminal cause
 * wins, the socket closes once, and a table close becomes the wire's goodbye. A recording wire
 * stands in for the socket; the session table is a real one ({@link TableFixture}), so its events
 * are checked by the event contract.
 */
@Timeout(30)
class LinkTest {

  private TableFixture fixture;
  private Context context;
  private RecordingWire wire;
  private Link<String> link;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    context = fixture.vertx.getOrCreateContext();
    wire = new RecordingWire();
    link = new Link<>(fixture.table, TransportName.TCP, context, wire);
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  /**
   * Verifies that an open session greets the device once and is announced with the link's
   * transport.
   */
  @Test
  void anOpenedSessionIsGreetedOnceAndAnnouncedWithItsTransport() throws Exception {
    // when
    onContext(() -> link.open("link-open", 30_000, null));

    // then
    JsonObject opened = fixture.await(Addresses.OPENED, "link-open");
    assertThat(opened.getString("transport")).isEqualTo("tcp");
    assertThat(opened.getString("remote")).isEqualTo("127.0.0.1:4242");
    awaitCalls("pause", "opened");
    assertThat(onContext(() -> link.state())).isEqualTo(Link.State.OPEN);
    assertThat(link.remote()).isEqualTo("127.0.0.1:4242");
  }

  /**
   * Verifies that neither the link nor its session keeps a copy of the device's address: both read
   * it from the wire when asked (issue 17, memory per connection session), so what the table
   * reports follows the wire.
   */
  @Test
  void theSessionReadsTheDevicesAddressFromTheWireWhenAsked() throws Exception {
    // given
    onContext(() -> link.open("link-remote", 30_000, null));
    fixture.await(Addresses.OPENED, "link-remote");
    awaitCalls("pause", "opened");
    Session session = onContext(() -> link.session());

    // when
    wire.remote = "127.0.0.1:4343";

    // then
    assertThat(link.remote()).isEqualTo("127.0.0.1:4343");
    assertThat(session.remote()).isEqualTo("127.0.0.1:4343");
  }

  /**
   * Verifies that the table's close reaches the device as the wire's goodbye, and the socket closes
   * once.
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aCloseByTheTableIsSaidWithTheWiresGoodbyeAndClosesTheSocketOnce() throws Exception {
    // given
    Session session = openSession("link-kicked");

    // when
    fixture.table.close(session, CloseReason.KICKED);

    // then
    assertThat(fixture.await(Addresses.CLOSED, "link-kicked").getString("reason"))
        .isEqualTo("KICKED");
    awaitCalls("pause", "opened", "close goodbye:KICKED", "ended KICKED");
  }

  /**
   * Verifies that the wire's {@code closing} runs once as the table ends the session, on the
   * table's thread and not the connection's context, before the goodbye and {@code ended} on the
   * connection's context: the one place where a transport can hand state over in the table's order
   * (MQTT's stored session and delayed will, {@code SessionHandover}).
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void closingRunsOnTheTablesThreadBeforeTheGoodbyeAndEnded() throws Exception {
    // given
    Session session = openSession("link-closing");

    // when
    fixture.table.close(session, CloseReason.KICKED);

    // then
    awaitCalls("pause", "opened", "close goodbye:KICKED", "ended KICKED");
    assertThat(wire.closing).containsExactly("closing KICKED after 2 calls");
    assertThat(wire.closingContext).isNotNull().isNotSameAs(context);
  }

  /**
   * Verifies that the device's goodbye keeps its reason when the socket goes away before the table
   * answers.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void theFirstTerminalCauseWinsOverALaterSocketLoss() throws Exception {
    // given
    openSession("link-bye");

    // when the device says goodbye, then its socket drops before the table's close comes back
    onContext(
        () -> {
          link.close(CloseReason.CLIENT_CLOSED, null);
          link.socketClosed(CloseReason.CONNECTION_LOST);
          link.close(CloseReason.PROTOCOL_ERROR, "too late");
        });

    // then one close, with the first cause; the socket, already gone, is not closed again
    assertThat(fixture.await(Addresses.CLOSED, "link-bye").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
    awaitCalls("pause", "opened", "ended CLIENT_CLOSED");
  }

  /**
   * Verifies that a session whose socket went away while it was opening is closed as soon as it
   * opens.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aSocketLostWhileOpeningClosesTheSessionAsSoonAsItOpens() throws Exception {
    // when
    onContext(
        () -> {
          link.open("link-lost", 30_000, null);
          link.socketClosed(CloseReason.CONNECTION_LOST);
        });

    // then the session opens and closes at once; the device is never greeted, its socket never
    // closed again
    fixture.await(Addresses.OPENED, "link-lost");
    assertThat(fixture.await(Addresses.CLOSED, "link-lost").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
    awaitCalls("pause", "ended CONNECTION_LOST");
  }

  /**
   * Verifies that a session the table cannot open is one unavailable rejection and the wire's own
   * answer.
   */
  @Test
  void aRefusedOpenIsAnUnavailableRejectionAndTheWiresAnswer() throws Exception {
    // given a node that refuses new sessions
    fixture.table.fence().raise();

    // when
    onContext(() -> link.open("link-refused", 30_000, null));

    // then
    JsonObject rejected = fixture.await(Addresses.REJECTED, "link-refused");
    assertThat(rejected.getString("code")).isEqualTo(Frames.UNAVAILABLE);
    assertThat(rejected.getString("transport")).isEqualTo("tcp");
    assertThat(rejected.getString("message")).contains("cut off");
    awaitCalls("pause", "close unavailable");
    assertThat(onContext(() -> link.reject("late", "after the end", null, "x"))).isFalse();
  }

  /** Verifies that a rejection before the hello closes the socket once with the given answer. */
  @Test
  void aRejectionBeforeTheHelloIsAnnouncedAndClosesOnce() throws Exception {
    // when
    boolean first =
        onContext(() -> link.reject(Frames.BAD_HELLO, "no device", null, "error:bad_hello"));
    boolean second =
        onContext(() -> link.reject(Frames.PROTOCOL_ERROR, "again", null, "error:again"));

    // then
    assertThat(first).isTrue();
    assertThat(second).isFalse();
    JsonObject rejected =
        fixture.await(Addresses.REJECTED, e -> "127.0.0.1:4242".equals(e.getString("remote")));
    assertThat(rejected.getString("code")).isEqualTo(Frames.BAD_HELLO);
    assertThat(wire.calls).containsExactly("close error:bad_hello");
  }

  /**
   * Verifies that the hello deadline runs its action when the device has not said hello by then.
   */
  @Test
  void aHelloDeadlineThatPassesRunsItsAction() throws Exception {
    // given
    CompletableFuture<Link.State> timedOutIn = new CompletableFuture<>();

    // when
    onContext(() -> link.awaitHello(1, () -> timedOutIn.complete(link.state())));

    // then
    assertThat(timedOutIn.get(10, TimeUnit.SECONDS)).isEqualTo(Link.State.AWAITING_HELLO);
    assertThat(wire.calls).isEmpty();
  }

  /**
   * Verifies that the device's input counts before its hello and while its session is open, not
   * while the session is opening nor once the device has ended it.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void inputCountsBeforeTheHelloAndWhileOpenOnly() throws Exception {
    // given
    boolean beforeHello = onContext(() -> link.reading());
    boolean whileOpening =
        onContext(
            () -> {
              link.open("link-reading", 30_000, null);
              return link.reading();
            });
    fixture.await(Addresses.OPENED, "link-reading");
    awaitCalls("pause", "opened");
    boolean whileOpen = onContext(() -> link.reading());

    // when
    boolean afterBye =
        onContext(
            () -> {
              link.close(CloseReason.CLIENT_CLOSED, null);
              return link.reading();
            });

    // then
    assertThat(List.of(beforeHello, whileOpening, whileOpen, afterBye))
        .containsExactly(true, false, true, false);
    fixture.await(Addresses.CLOSED, "link-reading");
    awaitCalls("pause", "opened", "close goodbye:CLIENT_CLOSED", "ended CLIENT_CLOSED");
  }

  /** Verifies that a link opens at most once: a second open is a programming error. */
  @Test
  void aSecondOpenIsRefused() throws Exception {
    // given
    openSession("link-twice");

    // when / then
    assertThatThrownBy(() -> onContext(() -> link.open("link-twice-again", 30_000, null)))
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("open in state OPEN");
  }

  /**
   * Verifies that input the protocol refuses closes the socket at once with the wire's last words
   * and ends the session with PROTOCOL_ERROR; the table's close that follows closes nothing again.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void refusedInputClosesAtOnceWithItsLastWords() throws Exception {
    // given
    openSession("link-bad-input");

    // when
    onContext(() -> link.close(CloseReason.PROTOCOL_ERROR, "error:bad_frame"));

    // then
    assertThat(fixture.await(Addresses.CLOSED, "link-bad-input").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
    awaitCalls("pause", "opened", "close error:bad_frame", "ended PROTOCOL_ERROR");
    assertThat(onContext(() -> link.state())).isEqualTo(Link.State.CLOSED);
  }

  /**
   * Verifies that the device's goodbye while its session is still opening ends the session with
   * that reason as soon as it opens, and the device is never greeted.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void anEndWhileOpeningIsAppliedAsSoonAsTheSessionOpens() throws Exception {
    // when
    onContext(
        () -> {
          link.open("link-early-end", 30_000, null);
          link.close(CloseReason.PROTOCOL_ERROR, "error:early");
        });

    // then
    fixture.await(Addresses.OPENED, "link-early-end");
    assertThat(fixture.await(Addresses.CLOSED, "link-early-end").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
    awaitCalls("pause", "close error:early", "ended PROTOCOL_ERROR");
  }

  /**
   * Verifies that a rejection while the session is opening is announced, closes the socket, and
   * ends the session, once open, as a lost connection.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aRejectionWhileOpeningEndsTheSessionAsALostConnection() throws Exception {
    // when
    boolean first =
        onContext(
            () -> {
              link.open("link-rejected-opening", 30_000, null);
              return link.reject(
                  Frames.PROTOCOL_ERROR, "late refusal", "link-rejected-opening", "x");
            });

    // then
    assertThat(first).isTrue();
    assertThat(fixture.await(Addresses.REJECTED, "link-rejected-opening").getString("code"))
        .isEqualTo(Frames.PROTOCOL_ERROR);
    fixture.await(Addresses.OPENED, "link-rejected-opening");
    assertThat(fixture.await(Addresses.CLOSED, "link-rejected-opening").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
    awaitCalls("pause", "close x", "ended CONNECTION_LOST");
  }

  private Session openSession(String deviceId) throws Exception {
    onContext(() -> link.open(deviceId, 30_000, null));
    fixture.await(Addresses.OPENED, deviceId);
    awaitCalls("pause", "opened");
    return onContext(() -> link.session());
  }

  private void awaitCalls(String... calls) {
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(wire.calls).containsExactly(calls));
  }

  private void onContext(Runnable action) throws Exception {
    onContext(
        () -> {
          action.run();
          return null;
        });
  }

  private <T> T onContext(java.util.function.Supplier<T> action) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          try {
            done.complete(action.get());
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
    return done.get(10, TimeUnit.SECONDS);
  }
}
