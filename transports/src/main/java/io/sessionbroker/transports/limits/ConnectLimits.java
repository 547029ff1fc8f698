package io.sessionbroker.transports.limits;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Admits or refuses a new connection by where it comes from: token buckets for connects per second
 * in all and per source address, and a count of open connections per source address.
 *
 * <p>A bucket holds up to one second's worth of tokens and refills continuously: at 500 per second
 * it starts full with 500, a burst of 500 connects empties it, and from then on one connect is
 * admitted every 2 ms. An address's bucket is forgotten once it is full again and the address holds
 * no connection (checked at most once a second), so the map holds only the addresses that connected
 * within about the last second, or still hold a connection.
 *
 * <p>Contract: told the time ({@code nowNanos}), never reads a clock. {@link #admit} runs on the
 * listeners' acceptor threads, {@link #released} on the event loop of a closing connection, the
 * counters are read by the metrics: every method is synchronized; each is a map lookup and some
 * arithmetic. A refused connect costs the lock and a close, nothing else ({@link AcceptGate}).
 */
public final class ConnectLimits {

  /** Why a connect was refused; {@link #code} is its label in metrics and logs. */
  public enum Refusal {
    /** Over {@code limits.connectsPerSecond}. */
    RATE("rate"),
    /** Over {@code limits.connectsPerSecondPerAddress}. */
    ADDRESS_RATE("address_rate"),
    /** Over {@code limits.maxConnectionsPerAddress}. */
    ADDRESS_CONNECTIONS("address_connections");

    private final String code;

    Refusal(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private static final long SECOND = 1_000_000_000L;

  private final LimitsOptions options;
  private final Bucket overall;
  private final Map<String, Address> addresses = new HashMap<>();
  private final Map<Refusal, Long> refused = new EnumMap<>(Refusal.class);
  private long lastSweep;
  private long lastLog = Long.MIN_VALUE;
  private long refusedSinceLog;

  public ConnectLimits(LimitsOptions options, long nowNanos) {
    this.options = options;
    this.overall = new Bucket(options.connectsPerSecond(), nowNanos);
    this.lastSweep = nowNanos;
    for (Refusal refusal : Refusal.values()) {
      refused.put(refusal, 0L);
    }
  }

  /** Whether any limit is on: when none is, the listeners need no gate. */
  public boolean enabled() {
    return options.connectsPerSecond() > 0
        || options.connectsPerSecondPerAddress() > 0
        || options.maxConnectionsPerAddress() > 0;
  }

  /**
   * A new connection from {@code address}: null when admitted, else why it is refused.
   *
   * @param holds whether the connection stays open ({@code false} for a UDP hello); an admitted one
   *     that holds must be {@link #released} when it closes
   */
  public synchronized Refusal admit(String address, boolean holds, long nowNanos) {
    sweep(nowNanos);
    Address state = null;
    if (options.connectsPerSecondPerAddress() > 0 || options.maxConnectionsPerAddress() > 0) {
      state = addresses.get(address);
      if (state == null) {
        state = new Address(new Bucket(options.connectsPerSecondPerAddress(), nowNanos));
        addresses.put(address, state);
      }
      if (holds
          && options.maxConnectionsPerAddress() > 0
          && state.open >= options.maxConnectionsPerAddress()) {
        return refuse(Refusal.ADDRESS_CONNECTIONS);
      }
      if (options.connectsPerSecondPerAddress() > 0 && !state.bucket.take(nowNanos)) {
        return refuse(Refusal.ADDRESS_RATE);
      }
    }
    if (options.connectsPerSecond() > 0 && !overall.take(nowNanos)) {
      return refuse(Refusal.RATE);
    }
    if (holds && state != null && countsConnections()) {
      state.open++;
    }
    return null;
  }

  /** A connection {@link #admit} let in with {@code holds} has closed. */
  public synchronized void released(String address) {
    Address state = addresses.get(address);
    if (state != null && state.open > 0) {
      state.open--;
    }
  }

  /** Whether an admitted connection must be {@link #released} when it closes. */
  public boolean countsConnections() {
    return options.maxConnectionsPerAddress() > 0;
  }

  /** Connects refused for {@code refusal} since start. */
  public synchronized long refused(Refusal refusal) {
    return refused.get(refusal);
  }

  /**
   * Whether a refusal may be logged now: at most one line a second, so that a connect storm does
   * not flood the log.
   *
   * @return -1 when not, else how many refusals the line stands for (since the last line)
   */
  public synchronized long logNow(long nowNanos) {
    if (lastLog != Long.MIN_VALUE && nowNanos - lastLog < SECOND) {
      return -1;
    }
    lastLog = nowNanos;
    long count = refusedSinceLog;
    refusedSinceLog = 0;
    return count;
  }

  /** Source addresses currently tracked: for tests of the sweep. */
  synchronized int trackedAddresses() {
    return addresses.size();
  }

  private Refusal refuse(Refusal refusal) {
    refused.merge(refusal, 1L, Long::sum);
    refusedSinceLog++;
    return refusal;
  }

  private void sweep(long nowNanos) {
    if (nowNanos - lastSweep < SECOND) {
      return;
    }
    lastSweep = nowNanos;
    for (Iterator<Address> it = addresses.values().iterator(); it.hasNext(); ) {
      Address state = it.next();
      if (state.open == 0 && state.bucket.full(nowNanos)) {
        it.remove();
      }
    }
  }

  /** An address's bucket and its open connections. */
  private static final class Address {
    final Bucket bucket;
    int open;

    Address(Bucket bucket) {
      this.bucket = bucket;
    }
  }

  /**
   * A token bucket of {@code perSecond} tokens that refills at {@code perSecond} a second; 0 admits
   * everything.
   */
  private static final class Bucket {
    private final int perSecond;
    private double tokens;
    private long last;

    Bucket(int perSecond, long nowNanos) {
      this.perSecond = perSecond;
      this.tokens = perSecond;
      this.last = nowNanos;
    }

    boolean take(long nowNanos) {
      if (perSecond == 0) {
        return true;
      }
      refill(nowNanos);
      if (tokens < 1) {
        return false;
      }
      tokens--;
      return true;
    }

    boolean full(long nowNanos) {
      refill(nowNanos);
      return tokens >= perSecond;
    }

    private void refill(long nowNanos) {
      long elapsed = nowNanos - last;
      if (elapsed > 0) {
        tokens = Math.min(perSecond, tokens + (double) elapsed * perSecond / SECOND);
        last = nowNanos;
      }
    }
  }
}
