package io.sessionbroker.broker;

import io.vertx.core.Future;
import java.net.BindException;

/**
 * A listener that could not start. Its message names the listener and the address it was to bind,
 * then why, in the operator's words where we know them: {@code mqtt 127.0.0.1:1883: address in
 * use}.
 */
public final class ListenerException extends RuntimeException {

  private ListenerException(String message, Throwable cause) {
    super(message, cause);
  }

  /** {@code what} (e.g. {@code "mqtt 127.0.0.1:1883"}) could not bind: its port is taken. */
  static ListenerException inUse(String what, Throwable cause) {
    return new ListenerException(what + ": address in use", cause);
  }

  /** {@code start}, failing with a {@code ListenerException} for {@code name host:port}. */
  static <T> Future<T> naming(Future<T> start, String name, String host, int port) {
    return naming(start, name + " " + host + ":" + port);
  }

  /**
   * {@code start}, failing with a {@code ListenerException} for {@code what}, e.g. {@code "mqtt tls
   * 127.0.0.1:8883"}.
   */
  static <T> Future<T> naming(Future<T> start, String what) {
    return start.recover(e -> Future.failedFuture(new ListenerException(what + ": " + why(e), e)));
  }

  private static String why(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      // java.net.BindException from the JDK transport; Netty's native epoll transport throws an
      // IOException with the same errno text.
      if (cause instanceof BindException
          || String.valueOf(cause.getMessage()).contains("Address already in use")) {
        return "address in use";
      }
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
