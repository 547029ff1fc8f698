package io.sessionbroker.cluster;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a session's {@link Connection} that the table ended it: at once, or, while the table
 * expires a tick's batch ({@link #holding}), once the whole batch has ended.
 *
 * <p>Why hold them (issue 17, a mass expiry): telling a connection hands its end to its event loop
 * ({@code LoopEnds} in the transports), and the first end wakes the loop. Told one by one as the
 * table ended each session, four loops woke at the first of a thousand closes and took the two
 * cores from the table while it was still ending the rest, so the last close events of the batch
 * came out later the more closes the loops already had; the loops got their ends in dribbles, a
 * wake-up each. Held until the batch is through, the table ends its batch without them and each
 * loop gets its share at once. Each connection is still told after its session's close event is
 * handed in, in the order the table ended them. Confined to the table's thread.
 */
final class ConnectionEnds {

  private static final Logger log = LoggerFactory.getLogger(ConnectionEnds.class);

  /** While holding: the sessions ended so far and why, in order; null otherwise. */
  private List<Session> heldSessions;

  private List<CloseReason> heldReasons;

  /** The table ended {@code session} for {@code reason}: tells its connection, now or later. */
  void ended(Session session, CloseReason reason) {
    if (heldSessions != null) {
      heldSessions.add(session);
      heldReasons.add(reason);
      return;
    }
    tell(session, reason);
  }

  /** Runs {@code work}; the ends it makes are told once it returns, in order. Not reentrant. */
  void holding(Runnable work) {
    List<Session> sessions = new ArrayList<>();
    List<CloseReason> reasons = new ArrayList<>();
    heldSessions = sessions;
    heldReasons = reasons;
    try {
      work.run();
    } finally {
      heldSessions = null;
      heldReasons = null;
    }
    for (int i = 0; i < sessions.size(); i++) {
      tell(sessions.get(i), reasons.get(i));
    }
  }

  private static void tell(Session session, CloseReason reason) {
    if (log.isDebugEnabled()) {
      log.debug(
          "session_closed device={} session={} reason={}",
          session.deviceId(),
          session.sessionId(),
          reason);
    }
    try {
      session.connection().closed(session, reason);
    } catch (RuntimeException e) {
      log.warn("connection_close_failed session={}", session.sessionId(), e);
    }
  }
}
