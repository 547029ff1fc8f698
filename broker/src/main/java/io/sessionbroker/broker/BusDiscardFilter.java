package io.sessionbroker.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.function.LongSupplier;
import org.slf4j.Marker;

/**
 * Keeps Vert.x from flooding the log when an event bus consumer goes away with deliveries still on
 * their way to it: Vert.x logs one WARN per message ("Discarding message since the consumer is not
 * registered. address: sessions.closed"), and a bridge subscriber that disconnects during a mass
 * close leaves tens of thousands of them (181,232 lines in one million-device run). The first of
 * each window passes as Vert.x wrote it; the others are counted, and the count is logged ({@code
 * bus_discards_not_logged}) when the next window's first arrives. Vert.x offers no per-consumer
 * switch for the bridge's own consumers, and Logback's {@code DuplicateMessageFilter} keys on the
 * format string of every logger (it would swallow the broker's own parameterised lines), hence this
 * filter of one logger and one message.
 */
public final class BusDiscardFilter extends TurboFilter {

  static final String VERTX_LOGGER = "io.vertx.core.eventbus.impl.MessageConsumerImpl";
  static final String DISCARDING = "Discarding message since the consumer is not registered";
  static final long WINDOW_NANOS = 10_000_000_000L;

  private final LongSupplier nanoClock;
  private long windowStart = Long.MIN_VALUE;
  private long notLogged;

  public BusDiscardFilter() {
    this(System::nanoTime);
  }

  BusDiscardFilter(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null
        || !VERTX_LOGGER.equals(logger.getName())
        || !format.startsWith(DISCARDING)) {
      return FilterReply.NEUTRAL;
    }
    long now = nanoClock.getAsLong();
    long missed;
    synchronized (this) {
      if (windowStart != Long.MIN_VALUE && now - windowStart < WINDOW_NANOS) {
        notLogged++;
        return FilterReply.DENY;
      }
      missed = notLogged;
      notLogged = 0;
      windowStart = now;
    }
    if (missed > 0) {
      logger
          .getLoggerContext()
          .getLogger(BusDiscardFilter.class)
          .warn(
              "bus_discards_not_logged count={} window_s={}",
              missed,
              WINDOW_NANOS / 1_000_000_000L);
    }
    return FilterReply.NEUTRAL;
  }
}
