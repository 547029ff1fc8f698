package io.sessionbroker.transports.udp;

import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the UDP transport, for metrics: what arrived, what was dropped and why, what was
 * sent. Every event loop counts into the same {@link LongAdder}s; reading them is cheap and never
 * blocks the transport.
 */
public final class UdpStats {

  /** What the transport received or sent. */
  public enum Counter {
    /** Datagrams read from the sockets, whatever became of them. */
    RECEIVED,
    HELLO,
    /**
     * A {@code hello} repeated with the same device, nonce and source: answered with the same
     * welcome.
     */
    HELLO_REPEATED,
    WELCOME_SENT,
    PING,
    DATA,
    BYE_RECEIVED,
    /** A valid ticket came from a new source address (NAT rebinding); the session moved there. */
    REBOUND,
    /**
     * A {@code bye} the broker sent because it ended a session (timeout, takeover, kick, shutdown).
     */
    BYE_SENT,
    /**
     * An {@code error} reply: to a datagram with a valid ticket, or {@code unavailable} to a hello
     * (padded to its welcome's length) whose session this node could not open.
     */
    ERROR_SENT,
    /** A command datagram sent to a device, resends included. */
    COMMAND_SENT,
    /** A device's {@code reply} to a command, with a valid ticket (duplicates included). */
    REPLY,
    SEND_FAILED,
    REJECTION_EVENTS,
    /** Rejections past the rate limit: counted here, not published. */
    REJECTION_EVENTS_SUPPRESSED
  }

  /** Why a datagram was dropped; the code is the one a {@code sessions.rejected} event carries. */
  public enum Drop {
    /** Over {@link UdpOptions#maxDatagramBytes()}; not even parsed. */
    OVERSIZED(Frames.FRAME_TOO_LARGE),
    /** Not JSON, or not an object with a string {@code type}. */
    MALFORMED(Frames.BAD_FRAME),
    UNKNOWN_TYPE(Frames.PROTOCOL_ERROR),
    /** A missing, wrong or stale ticket, or a device without a UDP session here. */
    BAD_TICKET("bad_ticket"),
    BAD_HELLO(Frames.BAD_HELLO),
    /**
     * A {@code hello} shorter than the {@code welcome} it asks for (see {@code docs/protocol.md}).
     */
    HELLO_TOO_SMALL("hello_too_small"),
    AUTH_FAILED(Frames.AUTH_FAILED),
    /**
     * A datagram with a valid ticket and a field of the wrong shape; answered with an {@code
     * error}.
     */
    BAD_FIELD(Frames.PROTOCOL_ERROR),
    /** A hello of a device banned for flapping; answered with an {@code error}. */
    FLAPPING(Frames.FLAPPING),
    /**
     * A hello over the connect rate ({@code limits}, docs/security.md), per source address or in
     * all; dropped before its token is checked.
     */
    RATE_LIMITED("rate_limited");

    private final String code;

    Drop(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final LongAdder[] counters = adders(Counter.values().length);
  private final LongAdder[] drops = adders(Drop.values().length);

  public long get(Counter counter) {
    return counters[counter.ordinal()].sum();
  }

  public long dropped(Drop reason) {
    return drops[reason.ordinal()].sum();
  }

  public long droppedTotal() {
    long total = 0;
    for (LongAdder adder : drops) {
      total += adder.sum();
    }
    return total;
  }

  void count(Counter counter) {
    counters[counter.ordinal()].increment();
  }

  void drop(Drop reason) {
    drops[reason.ordinal()].increment();
  }

  /**
   * {@code {"received": n, ..., "dropped": {"total": n, "oversized": n, ...}}}, names in lower
   * camel case.
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    for (Counter counter : Counter.values()) {
      json.put(camel(counter.name()), get(counter));
    }
    JsonObject dropped = new JsonObject().put("total", droppedTotal());
    for (Drop reason : Drop.values()) {
      dropped.put(camel(reason.name()), dropped(reason));
    }
    return json.put("dropped", dropped);
  }

  @Override
  public String toString() {
    return "UdpStats" + toJson().encode();
  }

  private static String camel(String constant) {
    StringBuilder name = new StringBuilder();
    for (String word : constant.toLowerCase(Locale.ROOT).split("_")) {
      name.append(
          name.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
    }
    return name.toString();
  }

  private static LongAdder[] adders(int count) {
    LongAdder[] adders = new LongAdder[count];
    for (int i = 0; i < count; i++) {
      adders[i] = new LongAdder();
    }
    return adders;
  }
}
