package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The administrators' request/reply API on the event bus ({@code sessions.admin.*},
 * docs/events.md). Any node answers for the whole cluster: it asks every node's {@link NodeAdmin}
 * and merges the answers; a node that does not answer in time is listed under {@code unreachable}.
 * Failures reply with a code (400 bad request, 404 no such session, 500 internal) and a message.
 */
public final class AdminApi {

  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1_000;
  static final int MAX_EVENTS = 1_000;
  private static final DeliveryOptions NODE_REQUEST = new DeliveryOptions().setSendTimeout(5_000);

  private final EventBus bus;
  private final EventLog eventLog;
  private final Supplier<List<String>> nodes;

  /**
   * @param nodes the ids of every node in the cluster (standalone: this node only)
   */
  public AdminApi(EventBus bus, EventLog eventLog, Supplier<List<String>> nodes) {
    this.bus = bus;
    this.eventLog = eventLog;
    this.nodes = nodes;
  }

  /**
   * Registers the consumers, on this node only: a request through a node's bridge is answered by
   * that node, which asks the others. Registered cluster-wide, the event bus would hand each
   * request to any node in turn, including one that does not answer, and the request would time out
   * instead of naming it {@code unreachable}.
   */
  public Future<Void> register() {
    List<MessageConsumer<Object>> consumers =
        List.of(
            bus.localConsumer(Addresses.ADMIN_LIST, m -> answer(m, this::list)),
            bus.localConsumer(Addresses.ADMIN_GET, m -> answer(m, this::get)),
            bus.localConsumer(Addresses.ADMIN_COUNT, m -> answer(m, body -> count())),
            bus.localConsumer(Addresses.ADMIN_KICK, m -> answer(m, this::kick)),
            bus.localConsumer(Addresses.ADMIN_EVENTS, m -> answer(m, this::events)),
            bus.localConsumer(Addresses.ADMIN_METRICS, m -> answer(m, body -> metrics())),
            bus.localConsumer(Addresses.ADMIN_BANS, m -> answer(m, body -> bans())),
            bus.localConsumer(Addresses.ADMIN_UNBAN, m -> answer(m, this::unban)));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  private Future<JsonObject> list(JsonObject body) {
    long offset = wholeNumber(body, "offset", 0);
    long limit = wholeNumber(body, "limit", DEFAULT_PAGE);
    if (offset < 0 || offset > Integer.MAX_VALUE - MAX_PAGE || limit < 1 || limit > MAX_PAGE) {
      return Future.failedFuture(new BadRequest("offset must be >= 0 and limit 1.." + MAX_PAGE));
    }
    Object transport = body.getValue("transport");
    // A name no session can have is a mistake ("ws" for websocket), not an empty fleet.
    if (transport != null
        && Arrays.stream(TransportName.values()).noneMatch(t -> t.id().equals(transport))) {
      return Future.failedFuture(
          new BadRequest(
              "\"transport\" must be one of " + Arrays.toString(TransportName.values())));
    }
    return list((String) transport, (int) offset, (int) limit);
  }

  private Future<JsonObject> list(String transport, int offset, int limit) {
    JsonObject request = new JsonObject().put("transport", transport).put("limit", offset + limit);
    return askAll("list", request)
        .map(
            replies -> {
              List<JsonObject> sessions = new ArrayList<>();
              int total = 0;
              for (JsonObject reply : replies.answers) {
                total += reply.getInteger("total");
                reply.getJsonArray("sessions").forEach(s -> sessions.add((JsonObject) s));
              }
              sessions.sort(
                  Comparator.comparingLong((JsonObject s) -> s.getLong("connectedAt"))
                      .thenComparing(s -> s.getString("sessionId")));
              JsonArray page =
                  new JsonArray(
                      new ArrayList<>(
                          sessions.subList(
                              Math.min(offset, sessions.size()),
                              Math.min(offset + limit, sessions.size()))));
              return replies.annotate(
                  new JsonObject().put("total", total).put("offset", offset).put("sessions", page));
            });
  }

  private Future<JsonObject> count() {
    return askAll("count", new JsonObject())
        .map(
            replies -> {
              int total = 0;
              TreeMap<String, Integer> byTransport = new TreeMap<>();
              JsonObject byNode = new JsonObject();
              for (int i = 0; i < replies.answers.size(); i++) {
                JsonObject reply = replies.answers.get(i);
                total += reply.getInteger("total");
                byNode.put(replies.answeredBy.get(i), reply.getInteger("total"));
                reply
                    .getJsonObject("byTransport")
                    .forEach(
                        e -> byTransport.merge(e.getKey(), (Integer) e.getValue(), Integer::sum));
              }
              JsonObject transports = new JsonObject();
              byTransport.forEach(transports::put);
              return replies.annotate(
                  new JsonObject()
                      .put("total", total)
                      .put("byTransport", transports)
                      .put("byNode", byNode));
            });
  }

  /** Every node's counters: {@code {"byNode": {"<node>": {...}}}}. */
  private Future<JsonObject> metrics() {
    return askAll("metrics", new JsonObject())
        .map(
            replies -> {
              JsonObject byNode = new JsonObject();
              for (int i = 0; i < replies.answers.size(); i++) {
                byNode.put(replies.answeredBy.get(i), replies.answers.get(i));
              }
              return replies.annotate(new JsonObject().put("byNode", byNode));
            });
  }

  /**
   * Every node's flapping bans, by device id: {@code {"bans": [{"deviceId", "node", "until"}]}}. A
   * node bans on its own (docs/security.md), so a device may be listed once per node.
   */
  private Future<JsonObject> bans() {
    return askAll("bans", new JsonObject())
        .map(
            replies -> {
              List<JsonObject> bans = new ArrayList<>();
              for (int i = 0; i < replies.answers.size(); i++) {
                String node = replies.answeredBy.get(i);
                replies
                    .answers
                    .get(i)
                    .getJsonArray("bans")
                    .forEach(ban -> bans.add(((JsonObject) ban).put("node", node)));
              }
              bans.sort(
                  Comparator.comparing((JsonObject b) -> b.getString("deviceId"))
                      .thenComparing(b -> b.getString("node")));
              return replies.annotate(new JsonObject().put("bans", new JsonArray(bans)));
            });
  }

  /** Lifts a device's ban on every node; 404 when no node had banned it. */
  private Future<JsonObject> unban(JsonObject body) {
    String target = target(body);
    return askAll("unban", new JsonObject().put("target", target))
        .compose(
            replies ->
                replies.answers.stream().anyMatch(r -> r.getBoolean("lifted"))
                    ? Future.succeededFuture(
                        replies.annotate(
                            new JsonObject().put("lifted", true).put("deviceId", target)))
                    : Future.failedFuture(new NotFound("no ban for " + target)));
  }

  private Future<JsonObject> get(JsonObject body) {
    String target = target(body);
    return askAll("get", new JsonObject().put("target", target))
        .compose(
            replies ->
                replies.answers.stream()
                    .filter(session -> !session.isEmpty())
                    .findFirst()
                    .map(Future::succeededFuture)
                    .orElseGet(
                        () -> Future.failedFuture(new NotFound("no open session for " + target))));
  }

  private Future<JsonObject> kick(JsonObject body) {
    String target = target(body);
    return askAll("kick", new JsonObject().put("target", target))
        .map(
            replies ->
                replies.annotate(
                    new JsonObject()
                        .put(
                            "kicked",
                            replies.answers.stream().anyMatch(r -> r.getBoolean("kicked")))
                        .put("target", target)));
  }

  private Future<JsonObject> events(JsonObject body) {
    long fromSeq = wholeNumber(body, "fromSeq", 0);
    long max = wholeNumber(body, "max", DEFAULT_PAGE);
    if (fromSeq < 0 || max < 1 || max > MAX_EVENTS) {
      return Future.failedFuture(new BadRequest("fromSeq must be >= 0 and max 1.." + MAX_EVENTS));
    }
    return eventLog.read(fromSeq, (int) max);
  }

  /** The answers of every node that answered, and the nodes that did not. */
  private record Replies(
      List<JsonObject> answers, List<String> answeredBy, List<String> unreachable) {

    JsonObject annotate(JsonObject reply) {
      return unreachable.isEmpty() ? reply : reply.put("unreachable", new JsonArray(unreachable));
    }
  }

  private Future<Replies> askAll(String operation, JsonObject request) {
    List<String> all = nodes.get();
    List<Future<Message<JsonObject>>> asked =
        all.stream()
            .map(
                node ->
                    bus.<JsonObject>request(
                        NodeAdmin.address(node, operation), request, NODE_REQUEST))
            .toList();
    return Future.join(asked)
        .transform(
            done -> {
              Replies replies =
                  new Replies(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
              for (int i = 0; i < all.size(); i++) {
                if (asked.get(i).succeeded()) {
                  replies.answers.add(asked.get(i).result().body());
                  replies.answeredBy.add(all.get(i));
                } else {
                  replies.unreachable.add(all.get(i));
                }
              }
              return Future.succeededFuture(replies);
            });
  }

  /** The session id or device id a request names. */
  private static String target(JsonObject body) {
    Object target =
        body.getValue("sessionId") != null ? body.getValue("sessionId") : body.getValue("deviceId");
    if (!(target instanceof String name) || name.isBlank()) {
      throw new BadRequest("name a \"sessionId\" or a \"deviceId\" (a non-blank string)");
    }
    return name;
  }

  /**
   * A whole-number field of a request, or {@code fallback} when it is absent. A value of another
   * type is the client's mistake (400), not an internal error: JsonObject's typed getters would
   * throw ClassCastException.
   */
  private static long wholeNumber(JsonObject body, String field, long fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number number && number.doubleValue() == number.longValue()) {
      return number.longValue();
    }
    throw new BadRequest("\"" + field + "\" must be a whole number");
  }

  static void answer(Message<Object> message, Function<JsonObject, Future<JsonObject>> handler) {
    Future<JsonObject> reply;
    try {
      Object body = message.body();
      JsonObject request =
          body instanceof JsonObject json
              ? json
              : body instanceof String text && !text.isBlank()
                  ? new JsonObject().put("deviceId", text)
                  : new JsonObject();
      reply = handler.apply(request);
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    reply.onComplete(
        result -> {
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
