package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.CommandOptions;
import io.sessionbroker.cluster.CommandReply;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
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
   * enforces: a holder that stays a member but answers nothing (frozen) gets a 504 by this bound;
   * one that leaves, a 503 at once ({@link #awaitingHolders}).
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

  /** How often the entry node looks whether the holders of its waiting commands are members. */
  static final long HOLDER_CHECK_MS = 200;

  private final Vertx vertx;
  private final EventBus bus;
  private final SessionTable table;
  private final CommandOptions options;
  private final Outcomes outcomes;
  private final Supplier<List<String>> nodes;

  /**
   * Commands this node routed to another node and waits for, with that node's id. A holder that
   * crashes answers nothing; its sessions are announced NODE_LOST within about a second of its
   * removal from the cluster (docs/cluster.md), and its waiting commands fail with 503 then, as for
   * any other close (docs/events.md), instead of at their timeout.
   */
  private final Map<Promise<CommandReply>, String> awaitingHolders = new ConcurrentHashMap<>();

  /**
   * @param nodes the ids of the cluster's members (standalone: this node only)
   */
  public CommandApi(
      Vertx vertx,
      SessionTable table,
      CommandOptions options,
      Outcomes outcomes,
      Supplier<List<String>> nodes) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.table = table;
    this.options = options;
    this.outcomes = outcomes;
    this.nodes = nodes;
  }

  static String nodeAddress(String nodeId) {
    return Addresses.ofNode(nodeId, "command");
  }

  public Future<Void> register() {
    List<MessageConsumer<Object>> consumers =
        List.of(
            bus.localConsumer(Addresses.COMMAND, this::onCommand),
            bus.consumer(nodeAddress(table.nodeId()), this::onNodeCommand));
    vertx.setPeriodic(HOLDER_CHECK_MS, id -> failCommandsOfLeftHolders());
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  private void onCommand(Message<Object> message) {
    long start = System.nanoTime();
    Future<CommandReply> reply;
    boolean oneWay = false;
    try {
      CommandRequest request = CommandRequest.parse(message.body(), options);
      oneWay = request.oneWay();
      reply = route(request);
    } catch (CommandFailure e) {
      reply = Future.failedFuture(e);
    }
    // The request says it, not the reply: a holder node's 202 arrives as a copy of ACCEPTED.
    String succeeded = oneWay ? "accepted" : "answered";
    reply.onComplete(
        result -> {
          if (result.succeeded()) {
            outcomes.record(succeeded, System.nanoTime() - start);
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
              return remote(request, holder.nodeId());
            });
  }

  /** The command, to another node: its answer, or 503 as soon as that node has left. */
  private Future<CommandReply> remote(CommandRequest request, String holder) {
    Promise<CommandReply> answer = Promise.promise();
    awaitingHolders.put(answer, holder);
    bus.<JsonObject>request(
            nodeAddress(holder),
            request.toJson(),
            new DeliveryOptions().setSendTimeout(request.timeoutMs() + HOLDER_GRACE_MS))
        .onComplete(
            reply -> {
              if (reply.succeeded()) {
                answer.tryComplete(CommandReply.fromJson(reply.result().body()));
              } else {
                answer.tryFail(reply.cause());
              }
            });
    return answer.future().onComplete(done -> awaitingHolders.remove(answer));
  }

  private void failCommandsOfLeftHolders() {
    if (awaitingHolders.isEmpty()) {
      return;
    }
    List<String> members = nodes.get();
    awaitingHolders.forEach(
        (answer, holder) -> {
          if (!members.contains(holder)) {
            answer.tryFail(
                new CommandFailure(
                    CommandFailure.SESSION_CLOSED,
                    "the node holding the session has left the cluster (NODE_LOST)"));
          }
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
