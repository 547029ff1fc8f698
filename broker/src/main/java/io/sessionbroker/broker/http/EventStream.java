package io.sessionbroker.broker.http;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.EventLog;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /api/events/stream}: the session events as Server-Sent Events, read from the event log
 * in {@code seq} order. Each event's SSE {@code id} is its {@code seq}, so a client that reconnects
 * with {@code Last-Event-ID} (browsers do it by themselves) continues after the last event it got:
 * nothing missed, nothing twice, across a restart of the consumer.
 *
 * <p>Why the log and not the live events: the log is the one ordered, gap-free record (cluster-wide
 * when clustered), while live events from several nodes arrive in any order. Live events only wake
 * the reader; a timer wakes it too, for events appended by nodes whose publishes do not reach this
 * one. Vert.x Web has no SSE server handler; the format (WHATWG HTML §9.2) is a few lines.
 */
final class EventStream {

  /** Events read from the log per round. */
  static final int PAGE = 500;

  /** A safety net for events no live publish announced here. */
  static final long POLL_MS = 1_000;

  /** A comment line this often keeps proxies from closing an idle stream. */
  static final long KEEP_ALIVE_MS = 15_000;

  private final Vertx vertx;
  private final EventLog log;
  private final HttpServerResponse response;
  private final Context context;
  private List<MessageConsumer<Object>> wakers = List.of();
  private long poll = -1;
  private long keepAlive = -1;
  private long next;
  private boolean reading;
  private boolean again;
  private boolean closed;

  private EventStream(Vertx vertx, EventLog log, HttpServerResponse response, long next) {
    this.vertx = vertx;
    this.log = log;
    this.response = response;
    this.next = next;
    this.context = vertx.getOrCreateContext();
  }

  /**
   * Starts a stream after {@code Last-Event-ID} when given, else from {@code ?fromSeq=N}, else from
   * now.
   */
  static void serve(RoutingContext ctx, Vertx vertx, EventLog log) {
    Long from = null;
    try {
      String lastId = ctx.request().getHeader("Last-Event-ID");
      String fromSeq = ctx.queryParams().get("fromSeq");
      if (lastId != null && !lastId.isBlank()) {
        from = Long.parseLong(lastId.trim()) + 1;
      } else if (fromSeq != null) {
        from = Long.parseLong(fromSeq);
      }
    } catch (NumberFormatException e) {
      HttpApi.error(ctx, 400, "Last-Event-ID and fromSeq must be whole numbers");
      return;
    }
    if (from != null && from < 0) {
      HttpApi.error(ctx, 400, "fromSeq must be >= 0");
      return;
    }
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.end(); // the stream's headers, without the stream (RFC 9110 §9.3.2)
      return;
    }
    if (from != null) {
      new EventStream(vertx, log, response, from).start();
    } else {
      log.read(Long.MAX_VALUE, 1)
          .onSuccess(end -> new EventStream(vertx, log, response, end.getLong("nextSeq")).start())
          .onFailure(e -> HttpApi.error(ctx, 503, "the event log did not answer: " + e));
    }
  }

  private void start() {
    // A retry hint for browsers, and a first line so that a client sees the stream is open.
    response.write("retry: 2000\n: from seq " + next + "\n\n");
    response.closeHandler(v -> stop());
    response.exceptionHandler(e -> stop());
    response.drainHandler(v -> pump());
    wakers =
        List.of(
            vertx.eventBus().consumer(Addresses.OPENED, m -> pump()),
            vertx.eventBus().consumer(Addresses.CLOSED, m -> pump()),
            vertx.eventBus().consumer(Addresses.REJECTED, m -> pump()));
    poll = vertx.setPeriodic(POLL_MS, id -> pump());
    keepAlive = vertx.setPeriodic(KEEP_ALIVE_MS, id -> keepAlive());
    pump();
  }

  private void keepAlive() {
    if (!closed && !response.writeQueueFull()) {
      response.write(": keep-alive\n\n");
    }
  }

  /** Reads the log from {@code next} and writes what it holds; one read at a time. */
  private void pump() {
    if (closed) {
      return;
    }
    if (reading || response.writeQueueFull()) {
      again = true;
      return;
    }
    reading = true;
    again = false;
    log.read(next, PAGE).onComplete(read -> context.runOnContext(v -> written(read)));
  }

  /** Back on the stream's context (a clustered log completes on a Hazelcast thread). */
  private void written(AsyncResult<JsonObject> read) {
    reading = false;
    if (closed) {
      return;
    }
    if (read.failed()) {
      again = true; // the poll timer tries again
      return;
    }
    JsonObject page = read.result();
    if (page.getBoolean("gap", false)) {
      JsonObject gap =
          new JsonObject().put("fromSeq", next).put("oldestSeq", page.getLong("oldestSeq"));
      response.write("event: gap\ndata: " + gap.encode() + "\n\n");
    }
    int count = page.getJsonArray("events").size();
    page.getJsonArray("events").forEach(e -> write((JsonObject) e));
    next = page.getLong("nextSeq");
    if (count == PAGE || again) {
      pump();
    }
  }

  private void write(JsonObject entry) {
    long seq = entry.getLong("seq");
    JsonObject body = entry.getJsonObject("body").copy().put("seq", seq);
    response.write(
        "id: "
            + seq
            + "\nevent: "
            + entry.getString("address")
            + "\ndata: "
            + body.encode()
            + "\n\n");
  }

  private void stop() {
    if (closed) {
      return;
    }
    closed = true;
    wakers.forEach(MessageConsumer::unregister);
    vertx.cancelTimer(poll);
    vertx.cancelTimer(keepAlive);
  }
}
