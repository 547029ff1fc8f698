package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The admin operations on one node's {@link SessionTable}: get, list, count and kick, for the admin
 * API (event bus and HTTP) and the tests. Each runs on the table's thread, like every other change
 * of the table; a kick ends its session through the table's single close funnel.
 */
public final class TableAdmin {

  private final SessionTable table;
  private final DeviceDirectory directory;

  TableAdmin(SessionTable table, DeviceDirectory directory) {
    this.table = table;
    this.directory = directory;
  }

  /**
   * Closes a session by session id or device id with {@link CloseReason#KICKED}; true if one was
   * open.
   */
  public Future<Boolean> kick(String sessionOrDeviceId) {
    return table.onTable(
        () -> {
          Session session = table.find(sessionOrDeviceId);
          if (session == null) {
            return false;
          }
          table.finish(session, CloseReason.KICKED);
          return true;
        });
  }

  /** The session, by session id or device id, as JSON; null if none is open here. */
  public Future<JsonObject> get(String sessionOrDeviceId) {
    return table.onTable(
        () -> {
          Session session = table.find(sessionOrDeviceId);
          return session == null ? null : SessionJson.describe(session, table.nodeId());
        });
  }

  /**
   * A page of open sessions, oldest first, optionally of one transport only.
   *
   * @return {@code {"total": n, "offset": o, "sessions": [...]}}
   */
  public Future<JsonObject> list(String transport, int offset, int limit) {
    return table.onTable(
        () -> SessionJson.page(table.byDevice(), transport, offset, limit, table.nodeId()));
  }

  /** {@code {"total": n, "byTransport": {"tcp": n, ...}}}. */
  public Future<JsonObject> count() {
    return table.onTable(() -> SessionJson.count(table.byDevice()));
  }

  /**
   * Sends a command to the device's session on this node (docs/events.md, {@code devices.command});
   * the sender checked the request's shape and bounds. Fails with a {@link CommandFailure}: 404
   * when this node holds no open session of the device, 429, 503 when the session ends first, 504
   * when {@code timeoutMs} pass without a reply.
   */
  public Future<CommandReply> command(
      String deviceId, String name, Object payload, boolean oneWay, long timeoutMs) {
    return table
        .onTable(
            () -> {
              Session session = table.byDevice().get(deviceId);
              if (session == null || session.state() != Session.State.OPEN) {
                return Future.<CommandReply>failedFuture(
                    new CommandFailure(
                        CommandFailure.NO_SESSION, "no open session for " + deviceId));
              }
              return table
                  .commands()
                  .send(session, name, payload, oneWay, timeoutMs, table.clock().millis());
            })
        .compose(reply -> reply);
  }

  /** Who holds the device, cluster-wide (the directory's entry); null when nobody does. */
  public Future<DeviceDirectory.Holder> holder(String deviceId) {
    return directory.holder(deviceId);
  }

  /** Commands waiting for their replies on this node. */
  public Future<Integer> commandsInFlight() {
    return table.onTable(() -> table.commands().size());
  }
}
