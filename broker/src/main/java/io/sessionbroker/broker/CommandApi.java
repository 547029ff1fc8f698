package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.CommandOptions;
import io.sessionbroker.cluster.CommandReply;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands to devices on the event bus (docs/events.md, {@code devices.command}).
 *
 * <p>Contract. Any node takes a request on {@code devices.command} (registered on each node only,
 * like the admin API, so the node a bridge client asked is the one that answers it); it checks the
 * request ({@link CommandRequest}: 400, 413), asks the directory which node holds the device (none:
 * 404) and hands the command to that node's session table — its own directly, another's on that
 * node's address {@code sessions.node.<nodeId>.command}. The sender gets the device's {@code
 * {"status","payload"}}, or a failure whose code is the {@link CommandFailure} code. Each command
 * is counted once, by the node it entered, through {@link Outcomes}; none becomes an event on
 * {@code sessions.*}.
 */
public final class CommandApi {

  private static final Logger log = LoggerFactory.getLogger(CommandApi.class);

  /**
   * What the entry node waits for a holder node beyond the command's own timeout, which the holder
   * enforces: a holder that has left answers nothing, and this bound turns that into a 504.
   */
  private static final long HOLDER_GRACE_MS = 2_000;

  /** Where each command's outcome is counted (metrics). */
  @FunctionalInterface
  public interface Outcomes {
    /**
     * @param outcome {@code answered}, {@code accepted}, or the failure's name ({@code no_session},
     *     {@code closed}, {@code timeout}, {@code too_large}, {@code too_many}, {@code
     *     bad_request})
     * @param nanos from the request's arrival to its answer
     */
    void record(String outcome, long nanos);
  }

  private final EventBus bus;
  private final SessionTable table;
  private final CommandOptions options;
  private final Outcomes outcomes;

  public CommandApi(EventBus bus, SessionTable table, CommandOptions options, Outcomes outcomes) {
    this.bus = bus;
    this.table = table;
    this.options = options;
    this.outcomes = outcomes;
  }

  static String nodeAddress(String nodeId) {
    return Addresses.ofNode(nodeId, "command");
  }

  public Future<Void> register() {
    List<MessageConsumer<Object>> consumers =
        List.of(
            bus.localConsumer(Addresses.COMMAND, this::onCommand),
            bus.consumer(nodeAddress(table.nodeId()), this::onNodeCommand));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  private void onCommand(Message<Object> message) {
    long start = System.nanoTime();
    Future<CommandReply> reply;
    try {
      reply = route(CommandRequest.parse(message.body(), options));
    } catch (CommandFailure e) {
      reply = Future.failedFuture(e);
    }
    reply.onComplete(
        result -> {
          if (result.succeeded()) {
            outcomes.record(
                result.result() == CommandReply.ACCEPTED ? "accepted" : "answered",
                System.nanoTime() - start);
            message.reply(result.result().toJson());
          } else {
            CommandFailure failure = failure(result.cause());
            outcomes.record(outcome(failure.code()), System.nanoTime() - start);
            message.fail(failure.code(), failure.getMessage());
          }
        });
  }

  /** The command, to the node whose table holds the device's session. */
  private Future<CommandReply> route(CommandRequest request) {
    return table
        .admin()
        .holder(request.deviceId())
        .compose(
            holder -> {
              if (holder == null) {
                return Future.failedFuture(
                    new CommandFailure(
                        CommandFailure.NO_SESSION, "no open session for " + request.deviceId()));
              }
              if (holder.nodeId().equals(table.nodeId())) {
                return local(request);
              }
              return bus.<JsonObject>request(
                      nodeAddress(holder.nodeId()),
                      request.toJson(),
                      new DeliveryOptions().setSendTimeout(request.timeoutMs() + HOLDER_GRACE_MS))
                  .map(answer -> CommandReply.fromJson(answer.body()));
            });
  }

  private Future<CommandReply> local(CommandRequest request) {
    return table
        .admin()
        .command(
            request.deviceId(),
            request.name(),
            request.payload(),
            request.oneWay(),
            request.timeoutMs());
  }

  /** Another node's command for a session this node holds; the entry node checked it. */
  private void onNodeCommand(Message<Object> message) {
    JsonObject body = (JsonObject) message.body();
    local(
            new CommandRequest(
                body.getString("deviceId"),
                body.getString("name"),
                body.getValue("payload"),
                body.getLong("timeoutMs"),
                body.getBoolean("oneWay", false)))
        .onComplete(
            result -> {
              if (result.succeeded()) {
                message.reply(result.result().toJson());
              } else {
                CommandFailure failure = failure(result.cause());
                message.fail(failure.code(), failure.getMessage());
              }
            });
  }

  /** Any cause as the code the sender sees. */
  private static CommandFailure failure(Throwable cause) {
    if (cause instanceof CommandFailure failure) {
      return failure;
    }
    if (cause instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return new CommandFailure(reply.failureCode(), reply.getMessage());
      }
      if (reply.failureType() == ReplyFailure.TIMEOUT) {
        return new CommandFailure(
            CommandFailure.TIMEOUT, "the node holding the session did not answer in time");
      }
      // NO_HANDLERS: the holder node has left; its sessions are being announced NODE_LOST.
      return new CommandFailure(
          CommandFailure.SESSION_CLOSED, "the node holding the session has left the cluster");
    }
    log.warn("command_failed", cause);
    return new CommandFailure(CommandFailure.SESSION_CLOSED, String.valueOf(cause));
  }

  private static String outcome(int code) {
    return switch (code) {
      case CommandFailure.BAD_REQUEST -> "bad_request";
      case CommandFailure.NO_SESSION -> "no_session";
      case CommandFailure.TOO_LARGE -> "too_large";
      case CommandFailure.TOO_MANY -> "too_many";
      case CommandFailure.SESSION_CLOSED -> "closed";
      case CommandFailure.TIMEOUT -> "timeout";
      default -> "failed";
    };
  }
}
