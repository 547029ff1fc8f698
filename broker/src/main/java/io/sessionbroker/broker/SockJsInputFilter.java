package io.sessionbroker.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.Marker;

/**
 * Keeps a SockJS bridge client's bad frames out of the broker's ERROR and WARN levels. vertx-web's
 * bridge answers them ({@code invalid_type}, {@code address_already_registered}, …) and also logs
 * each, one line per frame: a frame of an unknown {@code type} at ERROR, a repeated {@code
 * register} or one over the handler limit at WARN. They are the client's mistakes, not the
 * broker's, and a client repeating one could fill the operator's log with alarms; the TCP bridge
 * answers the same frames without a line ({@link BridgeFrameCheck}). Each is logged at DEBUG as
 * {@code sockjs_bad_frame}; every other line of the bridge passes as Vert.x wrote it.
 */
public final class SockJsInputFilter extends TurboFilter {

  /** The beginnings of the bridge's lines about a client's frame it has answered. */
  static final List<String> CLIENT_INPUT =
      List.of(
          "Invalid type in incoming message",
          "Refusing to register as address is already registered",
          "Refusing to register as max_handlers_per_socket reached already",
          "Refusing to register as address length > max_address_length");

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null
        || level == null
        || !level.isGreaterOrEqual(Level.WARN)
        || !SockJsHangupFilter.VERTX_LOGGER.equals(logger.getName())
        || CLIENT_INPUT.stream().noneMatch(format::startsWith)) {
      return FilterReply.NEUTRAL;
    }
    logger
        .getLoggerContext()
        .getLogger(SockJsInputFilter.class)
        .debug("sockjs_bad_frame: {}", format);
    return FilterReply.DENY;
  }
}
