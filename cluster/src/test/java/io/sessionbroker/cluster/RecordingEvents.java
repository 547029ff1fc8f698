package io.sessionbroker.cluster;

import java.util.ArrayList;
import java.util.List;

/** Records every session event, in order, with the clock time the table gave it. */
final class RecordingEvents implements SessionEvents {

  enum Kind {
    OPENED,
    CLOSED,
    REJECTED,
    INBOUND
  }

  /** One event; {@code session} is null for a rejection, {@code reason} is null unless closed. */
  record Event(Kind kind, Session session, CloseReason reason, long at) {}

  final List<Event> events = new ArrayList<>();

  /** For each {@link #batch} call, in order: how many events were handed in inside it. */
  final List<Integer> batches = new ArrayList<>();

  private int batchDepth;

  @Override
  public void opened(Session session, long at) {
    events.add(new Event(Kind.OPENED, session, null, at));
  }

  @Override
  public void closed(Session session, CloseReason reason, long at) {
    events.add(new Event(Kind.CLOSED, session, reason, at));
  }

  @Override
  public void rejected(Rejection rejection, long at) {
    events.add(new Event(Kind.REJECTED, null, null, at));
  }

  @Override
  public void inbound(Session session, String topic, Object payload, long at) {
    events.add(new Event(Kind.INBOUND, session, null, at));
  }

  @Override
  public void batch(Runnable work) {
    int before = events.size();
    batchDepth++;
    try {
      work.run();
    } finally {
      batchDepth--;
    }
    if (batchDepth == 0 && events.size() > before) {
      batches.add(events.size() - before);
    }
  }

  List<Event> closes() {
    return events.stream().filter(e -> e.kind() == Kind.CLOSED).toList();
  }

  List<Event> of(Session session) {
    return events.stream().filter(e -> e.session() == session).toList();
  }
}
