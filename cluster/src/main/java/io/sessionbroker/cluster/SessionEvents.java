package io.sessionbroker.cluster;

import io.vertx.core.Future;

/**
 * Where the session table announces what happens to sessions. The broker publishes these on the
 * event bus ({@code sessions.opened}, {@code sessions.closed}, {@code sessions.rejected}, {@code
 * devices.inbound}); tests record them.
 *
 * <p>Contract: for each session, {@link #opened} is called once, then {@link #closed} once, both
 * from the session table's thread, in that order.
 */
public interface SessionEvents {

  void opened(Session session, long at);

  void closed(Session session, CloseReason reason, long at);

  void rejected(Rejection rejection, long at);

  /**
   * Device traffic: a {@code data} frame or an MQTT PUBLISH. {@code topic} is null where there is
   * none.
   */
  void inbound(Session session, String topic, Object payload, long at);

  /**
   * Runs {@code work} (on the calling thread, before this returns); the events it hands in may be
   * held until it returns and then go on together, in the order handed in: a tick's mass expiry
   * becomes one append to the event log instead of one per close. Called from the session table's
   * thread. By default each event goes on at once.
   */
  default void batch(Runnable work) {
    work.run();
  }

  /**
   * Completes once every event announced so far is in the event log (past its append: {@link
   * EventPipeline#appended}); where nothing is logged (a test's recorder), at once.
   */
  default Future<Void> logged() {
    return Future.succeededFuture();
  }
}
