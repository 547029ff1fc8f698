package io.sessionbroker.broker.http;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.CommandOptions;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /api/devices/{deviceId}/commands/{name}}: the request body is the command's payload
 * (JSON; empty: none), {@code ?timeoutMs=} and {@code ?oneWay=true} the rest. It is a request to
 * the same {@code devices.command} the event bus offers: 200 with the device's {@code
 * {"status","payload"}}, or the failure's code as the HTTP status ({@code {"error":404,…}}).
 */
final class CommandsResource implements Handler<RoutingContext> {

  /** Beyond the longest command timeout: the event bus answers first, with its own code. */
  private static final long ANSWER_GRACE_MS = 5_000;

  /** How long a refused body is still read, and dropped, before the connection is closed. */
  static final long LINGER_MS = 2_000;

  private final EventBus bus;
  private final CommandOptions options;

  CommandsResource(EventBus bus, CommandOptions options) {
    this.bus = bus;
    this.options = options;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    // Read by hand to stop at the bound: a body past it is answered 413 without being kept. The
    // bound leaves room for whitespace the JSON encoding of the payload does not have.
    int limit = options.maxPayloadBytes() * 2 + 64;
    // A body declared longer is refused from the headers: a client that sent "Expect:
    // 100-continue" waits for this answer and sends none of it (RFC 9110 §10.1.1).
    if (declaredLength(request) > limit) {
      refuse(ctx);
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      request.response().writeContinue(); // else the client waits (curl: 1 s) before sending
    }
    Buffer body = Buffer.buffer();
    request.handler(
        chunk -> {
          if (body.length() + chunk.length() > limit) {
            refuse(ctx);
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.endHandler(v -> send(ctx, body));
    request.resume(); // the router may have paused it while it routed
  }

  /**
   * 413, and the connection closed once the client has stopped sending or had {@link #LINGER_MS} to
   * read the answer. The rest of the body is read and dropped meanwhile: a socket closed with
   * unread data in it is reset, and the reset can take the answer with it before the client reads
   * it (curl, sending 10 MB, reported "Connection reset by peer" instead of the 413; RFC 9112
   * §9.6).
   */
  private void refuse(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpConnection connection = request.connection();
    request.handler(dropped -> {});
    request.endHandler(v -> connection.close());
    ctx.vertx().setTimer(LINGER_MS, id -> connection.close());
    HttpApi.error(
        ctx,
        CommandFailure.TOO_LARGE,
        "body larger than commands.maxPayloadBytes=" + options.maxPayloadBytes());
    request.resume();
  }

  /** The Content-Length the request declares; -1 when none (chunked), or one past a long. */
  private static long declaredLength(HttpServerRequest request) {
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    try {
      return declared == null ? -1 : Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      return -1; // Netty refuses a length that is not a number; a huge one is bounded by reading
    }
  }

  private void send(RoutingContext ctx, Buffer body) {
    Object payload = null;
    if (body.length() > 0) {
      try {
        payload = Json.decodeValue(body);
      } catch (DecodeException e) {
        HttpApi.error(ctx, CommandFailure.BAD_REQUEST, "the body must be JSON (the payload)");
        return;
      }
    }
    String oneWay = ctx.queryParams().get("oneWay");
    JsonObject command =
        new JsonObject()
            .put("deviceId", ctx.pathParam("deviceId"))
            .put("name", ctx.pathParam("name"))
            .put("payload", payload)
            .put("timeoutMs", HttpApi.number(ctx, "timeoutMs"))
            .put(
                "oneWay",
                "true".equals(oneWay)
                    ? Boolean.TRUE
                    : "false".equals(oneWay) ? Boolean.FALSE : oneWay);
    bus.<JsonObject>request(
            Addresses.COMMAND,
            command,
            new DeliveryOptions().setSendTimeout(options.maxTimeoutMs() + ANSWER_GRACE_MS))
        .onComplete(
            reply -> {
              if (reply.succeeded()) {
                HttpApi.json(ctx, 200, reply.result().body());
              } else if (reply.cause() instanceof ReplyException failure
                  && failure.failureCode() >= 400) {
                HttpApi.error(ctx, failure.failureCode(), failure.getMessage());
              } else {
                HttpApi.error(
                    ctx, 503, "the command API did not answer: " + reply.cause().getMessage());
              }
            });
  }
}
