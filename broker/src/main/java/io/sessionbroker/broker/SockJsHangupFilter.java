package io.sessionbroker.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.vertx.core.http.HttpClosedException;
import org.slf4j.Marker;

/**
 * Keeps a browser that hangs up on the SockJS event bus bridge ({@code /eventbus}, the dashboard's
 * and JavaScript consumers' way in) out of the ERROR level. vertx-web's bridge logs every exception
 * of a SockJS socket as an ERROR with its stack ("SockJSSocket exception"), and a socket that ends
 * without a close frame — a tab killed, a laptop gone to sleep, a proxy's idle timeout — raises
 * {@code HttpClosedException}: routine for a dashboard, and nothing an operator can act on. That
 * one is logged at DEBUG as {@code sockjs_client_gone}; every other exception passes as Vert.x
 * wrote it. vertx-web has no switch for it (the bridge's event handler sees the error only after
 * the line was written), hence this filter of one logger, one message and one exception type.
 */
public final class SockJsHangupFilter extends TurboFilter {

  public static final String VERTX_LOGGER =
      "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
  static final String SOCKET_EXCEPTION = "SockJSSocket exception";

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (!(t instanceof HttpClosedException)
        || format == null
        || !VERTX_LOGGER.equals(logger.getName())
        || !format.startsWith(SOCKET_EXCEPTION)) {
      return FilterReply.NEUTRAL;
    }
    logger
        .getLoggerContext()
        .getLogger(SockJsHangupFilter.class)
        .debug("sockjs_client_gone: {}", t.getMessage());
    return FilterReply.DENY;
  }
}
