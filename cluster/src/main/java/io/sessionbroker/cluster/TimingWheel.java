package io.sessionbroker.cluster;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Session deadlines in a hashed timing wheel that is <em>told</em> the time ({@link #advance}),
 * with lazy re-arm: a heartbeat only stores a timestamp in the session; when the session's slot
 * comes due, the wheel re-reads the deadline and either expires the session or re-inserts it for
 * the remainder.
 *
 * <p>Bucket arithmetic, with {@code tickMs = 10} and 4,096 slots: absolute tick {@code t} covers
 * {@code [10·t, 10·t + 10)} ms and lives in slot {@code t mod 4096}. A session whose deadline is
 * 1,005 ms goes to the tick that contains it, {@code floor(1005 / 10) = 100}, which is processed by
 * the first {@link #advance} at or after 1,000 ms. Each session is checked against its exact
 * deadline when its tick is processed: if {@code advance} ran at, say, 1,003 ms, the session is not
 * yet due and moves to tick 101, which the next {@code advance} (about 1,013 ms) processes. So with
 * {@code advance} called every tick, at whatever phase, a session is never evicted before its
 * deadline and at most one tick after it. (Filing it under {@code ceil(1005 / 10) = 101} instead
 * would add up to a tick of bucket rounding to the tick period: up to two ticks late.) A deadline
 * further away than the wheel spans (40.96 s) is parked in the last tick the wheel can hold and
 * re-inserted from there, so no "rounds" counter is needed: every entry in a slot belongs to the
 * tick being processed.
 *
 * <p>Mass expiry: at most {@code maxExpiries} sessions expire per {@link #advance}; the rest wait,
 * in deadline order, for the next call, which re-checks them (a heartbeat that arrived meanwhile
 * saves the session). A session the table closes leaves its slot at once ({@link #remove}): left
 * there until its slot came due, it kept its connection (channel, pipeline, buffers) reachable for
 * up to the wheel's span after its close, ~3.9 KB a TCP session (issue 17). A slot is a doubly
 * linked list for that; a session closed while its slot is being walked, or waiting in the backlog,
 * is dropped when the walk or the backlog reaches it. Not thread-safe: the session table calls it
 * from its own thread only.
 */
final class TimingWheel {

  private final long tickMs;
  private final Session[] slots;
  private final int mask;
  private final ArrayDeque<Session> overdue = new ArrayDeque<>();

  /** The next absolute tick to process. */
  private long cursor;

  private int size;

  TimingWheel(long tickMs, int slotCount, long now) {
    if (Integer.bitCount(slotCount) != 1) {
      throw new IllegalArgumentException("slotCount must be a power of two");
    }
    this.tickMs = tickMs;
    this.slots = new Session[slotCount];
    this.mask = slotCount - 1;
    this.cursor = Math.floorDiv(now, tickMs);
  }

  /**
   * Schedules a session by its current {@link Session#deadline()}; no-op for sessions without one.
   */
  void add(Session session) {
    long deadline = session.deadline();
    if (deadline != Long.MAX_VALUE) {
      insert(session, deadline, cursor);
      size++;
    }
  }

  /**
   * Processes every tick up to {@code now}: expired sessions go to {@code expire} (at most {@code
   * maxExpiries} of them), touched ones are re-armed. Returns the number expired.
   */
  int advance(long now, int maxExpiries, Consumer<Session> expire) {
    int budget = maxExpiries;
    while (budget > 0 && !overdue.isEmpty()) {
      Session session = overdue.poll();
      long deadline = session.deadline();
      if (session.state() != Session.State.CLOSED && now < deadline) {
        insert(
            session, deadline, cursor); // touched while it waited: no longer silent for its timeout
        continue;
      }
      size--;
      if (session.state() != Session.State.CLOSED) {
        budget--;
        expire.accept(session);
      }
    }
    long target = Math.floorDiv(now, tickMs);
    for (; cursor <= target; cursor++) {
      int slot = (int) (cursor & mask);
      Session next = slots[slot];
      slots[slot] = null;
      for (Session s = next; s != null; s = s.wheelNext) {
        s.wheelSlot = -1; // out of the slot: a close while the chain is walked does not unlink it
        s.wheelPrev = null;
      }
      while (next != null) {
        Session session = next;
        next = session.wheelNext;
        session.wheelNext = null;
        budget = due(session, now, budget, expire);
      }
    }
    return maxExpiries - budget;
  }

  private int due(Session session, long now, int budget, Consumer<Session> expire) {
    if (session.state() == Session.State.CLOSED) {
      size--;
      return budget;
    }
    long deadline = session.deadline();
    if (now < deadline) {
      insert(session, deadline, cursor + 1);
    } else if (budget > 0) {
      size--;
      expire.accept(session);
      return budget - 1;
    } else {
      overdue.add(session);
    }
    return budget;
  }

  private void insert(Session session, long deadline, long earliestTick) {
    long tick = Math.max(earliestTick, Math.floorDiv(deadline, tickMs));
    tick = Math.min(tick, cursor + slots.length - 1);
    int slot = (int) (tick & mask);
    Session head = slots[slot];
    session.wheelNext = head;
    session.wheelPrev = null;
    if (head != null) {
      head.wheelPrev = session;
    }
    session.wheelSlot = slot;
    slots[slot] = session;
  }

  /** Unlinks a closed session at once (else it and its connection stay until its slot is due). */
  void remove(Session session) {
    int slot = session.wheelSlot;
    if (slot < 0) {
      return; // not in a slot (or in the overdue queue, which drops it at the next advance)
    }
    Session prev = session.wheelPrev;
    Session next = session.wheelNext;
    if (prev == null) {
      slots[slot] = next;
    } else {
      prev.wheelNext = next;
    }
    if (next != null) {
      next.wheelPrev = prev;
    }
    session.wheelNext = null;
    session.wheelPrev = null;
    session.wheelSlot = -1;
    size--;
  }

  /** Sessions scheduled, including closed ones in a slot being walked or in the backlog. */
  int size() {
    return size;
  }
}
