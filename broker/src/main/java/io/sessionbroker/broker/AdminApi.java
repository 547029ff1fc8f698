package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * The administrators' request/reply API on the event bus ({@code sessions.admin.*}, docs/events.md).
 * Failures reply with a code (400 bad request, 404 no such session, 500 internal) and a message.
 */
public final class AdminApi {

  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1_000;

  static final int MAX_EVENTS = 1_000;

  private final SessionTable table;
  private final EventLog eventLog;

  public AdminApi(SessionTable table, EventLog eventLog) {
    this.table = table;
    this.eventLog = eventLog;
  }

  /** Registers the consumers; completes once they are registered (cluster-wide when clustered). */
  public Future<Void> register(EventBus bus) {
    List<MessageConsumer<Object>> consumers = List.of(
        bus.consumer(Addresses.ADMIN_LIST, m -> answer(m, this::list)),
        bus.consumer(Addresses.ADMIN_GET, m -> answer(m, this::get)),
        bus.consumer(Addresses.ADMIN_COUNT, m -> answer(m, body -> table.count())),
        bus.consumer(Addresses.ADMIN_KICK, m -> answer(m, this::kick)),
        bus.consumer(Addresses.ADMIN_EVENTS, m -> answer(m, this::events)));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  private Future<JsonObject> list(JsonObject body) {
    int offset = body.getInteger("offset", 0);
    int limit = body.getInteger("limit", DEFAULT_PAGE);
    if (offset < 0 || limit < 1 || limit > MAX_PAGE) {
      return Future.failedFuture(new BadRequest("offset must be >= 0 and limit 1.." + MAX_PAGE));
    }
    return table.list(body.getString("transport"), offset, limit);
  }

  private Future<JsonObject> events(JsonObject body) {
    long fromSeq = body.getLong("fromSeq", 0L);
    int max = body.getInteger("max", DEFAULT_PAGE);
    if (fromSeq < 0 || max < 1 || max > MAX_EVENTS) {
      return Future.failedFuture(new BadRequest("fromSeq must be >= 0 and max 1.." + MAX_EVENTS));
    }
    return eventLog.read(fromSeq, max);
  }

  private Future<JsonObject> get(JsonObject body) {
    return table.get(target(body)).compose(session -> session == null
        ? Future.failedFuture(new NotFound("no open session for " + target(body)))
        : Future.succeededFuture(session));
  }

  private Future<JsonObject> kick(JsonObject body) {
    String target = target(body);
    return table.kick(target).map(kicked -> new JsonObject().put("kicked", kicked).put("target", target));
  }

  /** The session id or device id a request names. */
  private static String target(JsonObject body) {
    String target = body.getString("sessionId", body.getString("deviceId"));
    if (target == null || target.isBlank()) {
      throw new BadRequest("name a \"sessionId\" or a \"deviceId\"");
    }
    return target;
  }

  private static void answer(Message<Object> message, Function<JsonObject, Future<JsonObject>> handler) {
    Future<JsonObject> reply;
    try {
      Object body = message.body();
      JsonObject request = body instanceof JsonObject json ? json
          : body instanceof String text && !text.isBlank() ? new JsonObject().put("deviceId", text)
          : new JsonObject();
      reply = handler.apply(request);
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    reply.onComplete(result -> {
      if (result.succeeded()) {
        message.reply(result.result());
      } else if (result.cause() instanceof BadRequest bad) {
        message.fail(400, bad.getMessage());
      } else if (result.cause() instanceof NotFound missing) {
        message.fail(404, missing.getMessage());
      } else {
        message.fail(500, String.valueOf(result.cause()));
      }
    });
  }

  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  static final class NotFound extends RuntimeException {
    NotFound(String message) {
      super(message, null, false, false);
    }
  }
}
