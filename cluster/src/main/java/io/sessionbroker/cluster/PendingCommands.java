package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The commands this node has written to its devices and not yet seen answered, keyed by command id.
 *
 * <p>Contract: confined to the session table's thread — {@link SessionTable} calls every method
 * there — and told the time ({@code now}, the table's clock), never reading a clock itself, so its
 * tests advance a fake one. Each command ends exactly once, and the first cause wins: the device's
 * {@link #reply}, the session's end ({@link #closed}: 503 at once, not at the deadline), or {@link
 * #advance} past its deadline (504). A reply that comes after that, or names another session's
 * command, is ignored.
 *
 * <p>Resends: a connection that may lose what it is sent (UDP) asks for them with {@link
 * Connection#commandResendMs}; the command is then written again after that long, then after twice
 * as long, and so on until its reply or its deadline. One priority queue holds each waiting command
 * once, ordered by its next due time (its next resend, or its deadline): with a first resend after
 * 500 ms and a deadline 10 s out, the command comes due at 0.5, 1.5, 3.5 and 7.5 s (written again
 * each time) and at 10 s (failed). Answered commands stay in the queue until they come due and are
 * skipped then (lazy removal: no search on the reply path).
 */
final class PendingCommands {

  /** One command waiting for its reply. */
  private static final class Pending {
    final Session session;
    final DeviceCommand command;
    final Promise<CommandReply> promise = Promise.promise();
    final long timeoutMs;
    final long deadline;
    long resendMs;
    long due;
    boolean done;

    Pending(Session session, DeviceCommand command, long timeoutMs, long now) {
      this.session = session;
      this.command = command;
      this.timeoutMs = timeoutMs;
      this.deadline = now + timeoutMs;
    }
  }

  private final int maxInFlightPerDevice;
  private final Map<String, Pending> byId = new HashMap<>();

  /** The waiting commands of each session with any, by session id: for 429 and for cleanup. */
  private final Map<Long, List<Pending>> bySession = new HashMap<>();

  private final PriorityQueue<Pending> queue =
      new PriorityQueue<>(Comparator.comparingLong((Pending p) -> p.due));

  private final long prefix = ((long) new SecureRandom().nextInt()) << 32;
  private long counter;

  PendingCommands(int maxInFlightPerDevice) {
    this.maxInFlightPerDevice = maxInFlightPerDevice;
  }

  /**
   * Writes a command on the session's connection; the future completes with the device's reply, or
   * fails with a {@link CommandFailure}. A one-way command completes with {@link
   * CommandReply#ACCEPTED} as soon as it is written, and is not kept.
   */
  Future<CommandReply> send(
      Session session, String name, Object payload, boolean oneWay, long timeoutMs, long now) {
    List<Pending> inFlight = bySession.get(session.id());
    if (!oneWay && inFlight != null && inFlight.size() >= maxInFlightPerDevice) {
      return Future.failedFuture(
          new CommandFailure(
              CommandFailure.TOO_MANY,
              maxInFlightPerDevice + " commands already wait for " + session.deviceId()));
    }
    DeviceCommand command = new DeviceCommand(nextId(), name, payload, oneWay);
    Connection connection = session.connection();
    boolean written;
    try {
      written = connection.command(session, command);
    } catch (CommandFailure e) { // the connection's own bound, e.g. a UDP datagram's size: 413
      return Future.failedFuture(e);
    }
    if (!written) {
      return Future.failedFuture(
          new CommandFailure(
              CommandFailure.SESSION_CLOSED,
              "the connection of " + session.deviceId() + " takes no commands now"));
    }
    if (oneWay) {
      return Future.succeededFuture(CommandReply.ACCEPTED);
    }
    Pending pending = new Pending(session, command, timeoutMs, now);
    pending.resendMs = connection.commandResendMs();
    pending.due =
        pending.resendMs > 0
            ? Math.min(now + pending.resendMs, pending.deadline)
            : pending.deadline;
    byId.put(command.id(), pending);
    bySession.computeIfAbsent(session.id(), id -> new ArrayList<>(2)).add(pending);
    queue.add(pending);
    return pending.promise.future();
  }

  /**
   * The device answered; true if it was a command of this session still waiting. A duplicate reply
   * (UDP) or one naming another device's command is ignored.
   */
  boolean reply(Session session, String id, CommandReply reply) {
    Pending pending = byId.get(id);
    if (pending == null || pending.session != session) {
      return false;
    }
    remove(pending);
    pending.promise.complete(reply);
    return true;
  }

  /** The session ended: its waiting commands fail with 503 now. */
  void closed(Session session, CloseReason reason) {
    List<Pending> waiting = bySession.remove(session.id());
    if (waiting == null) {
      return;
    }
    for (Pending pending : waiting) {
      byId.remove(pending.command.id());
      pending.done = true;
      pending.promise.fail(
          new CommandFailure(
              CommandFailure.SESSION_CLOSED,
              "the session of "
                  + session.deviceId()
                  + " closed ("
                  + reason
                  + ") before the device answered"));
    }
  }

  /** The clock says {@code now}: resends what is due, fails what is past its deadline (504). */
  void advance(long now) {
    while (!queue.isEmpty() && queue.peek().due <= now) {
      Pending pending = queue.poll();
      if (pending.done) {
        continue;
      }
      if (now >= pending.deadline) {
        remove(pending);
        pending.promise.fail(
            new CommandFailure(
                CommandFailure.TIMEOUT,
                pending.session.deviceId()
                    + " did not answer within "
                    + pending.timeoutMs
                    + " ms"));
        continue;
      }
      pending.session.connection().command(pending.session, pending.command);
      pending.resendMs *= 2;
      pending.due = Math.min(now + pending.resendMs, pending.deadline);
      queue.add(pending);
    }
  }

  /** Commands waiting for replies on this node. */
  int size() {
    return byId.size();
  }

  private void remove(Pending pending) {
    pending.done = true;
    byId.remove(pending.command.id());
    List<Pending> waiting = bySession.get(pending.session.id());
    if (waiting != null) {
      waiting.remove(pending);
      if (waiting.isEmpty()) {
        bySession.remove(pending.session.id());
      }
    }
  }

  private String nextId() {
    return SessionIds.format(prefix | (++counter & 0xFFFF_FFFFL));
  }
}
