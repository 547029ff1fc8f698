package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Supplier;

/**
 * This node's share of the admin API, on its own addresses {@code sessions.node.<nodeId>.admin.*}:
 * answers for the sessions this node holds. {@link AdminApi} asks every node and merges their
 * answers. Not exposed through the bridge (only {@code sessions.admin.*} is).
 */
final class NodeAdmin {

  private NodeAdmin() {}

  static String address(String nodeId, String operation) {
    return Addresses.ofNode(nodeId, "admin." + operation);
  }

  /**
   * @param metrics this node's counters ({@code sessions.admin.metrics}), read when asked
   */
  static Future<Void> register(
      EventBus bus, String nodeId, SessionTable table, Supplier<JsonObject> metrics) {
    List<MessageConsumer<Object>> consumers =
        List.of(
            bus.consumer(
                address(nodeId, "list"),
                m ->
                    AdminApi.answer(
                        m,
                        body ->
                            table
                                .admin()
                                .list(
                                    body.getString("transport"),
                                    0,
                                    body.getInteger("limit", AdminApi.DEFAULT_PAGE)))),
            bus.consumer(
                address(nodeId, "get"),
                m ->
                    AdminApi.answer(
                        m,
                        body ->
                            table
                                .admin()
                                .get(body.getString("target"))
                                .map(session -> session == null ? new JsonObject() : session))),
            bus.consumer(
                address(nodeId, "count"), m -> AdminApi.answer(m, body -> table.admin().count())),
            bus.consumer(
                address(nodeId, "metrics"),
                m ->
                    AdminApi.answer(
                        m,
                        body ->
                            table
                                .admin()
                                .count()
                                .map(count -> metrics.get().put("sessions", count)))),
            bus.consumer(
                address(nodeId, "bans"),
                m -> AdminApi.answer(m, body -> Future.succeededFuture(bans(table)))),
            bus.consumer(
                address(nodeId, "unban"),
                m ->
                    AdminApi.answer(
                        m,
                        body ->
                            Future.succeededFuture(
                                new JsonObject()
                                    .put(
                                        "lifted",
                                        table
                                            .flapping()
                                            .lift(
                                                body.getString("target"),
                                                table.clock().millis()))))),
            bus.consumer(
                address(nodeId, "kick"),
                m ->
                    AdminApi.answer(
                        m,
                        body ->
                            table
                                .admin()
                                .kick(body.getString("target"))
                                .map(kicked -> new JsonObject().put("kicked", kicked)))));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /** This node's flapping bans: {@code {"bans": [{"deviceId": .., "until": ..}]}}. */
  private static JsonObject bans(SessionTable table) {
    JsonArray bans = new JsonArray();
    table
        .flapping()
        .bans(table.clock().millis())
        .forEach(
            (deviceId, until) ->
                bans.add(new JsonObject().put("deviceId", deviceId).put("until", until)));
    return new JsonObject().put("bans", bans);
  }
}
