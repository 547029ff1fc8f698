package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The start-up rehearsal's consumer of its own TCP event bus bridge ({@link Warmup}): registers for
 * opens and closes as a back end does, decodes every frame, and counts the close events it reads —
 * expiries ({@code TIMEOUT}) by transport, and {@code NODE_LOST} closes. The counts are what the
 * rehearsal reports as done. Any thread may read them.
 */
final class WarmupSubscriber {

  private final Map<String, LongAdder> expiries = new ConcurrentHashMap<>();
  private final LongAdder nodeLost = new LongAdder();
  // A field: Vert.x closes a client, and its connections, once it is unreachable.
  private NetClient client;

  /** Connects to the bridge on {@code port} of 127.0.0.1 and registers. */
  Future<Void> connect(Vertx vertx, int port) {
    client = vertx.createNetClient();
    return client.connect(port, "127.0.0.1").map(this::subscribe);
  }

  /** The {@code TIMEOUT} close events of {@code transport} read so far. */
  int expiries(TransportName transport) {
    LongAdder count = expiries.get(transport.id());
    return count == null ? 0 : count.intValue();
  }

  /** The {@code NODE_LOST} close events read so far. */
  int nodeLost() {
    return nodeLost.intValue();
  }

  /** Every close event counted so far. */
  long closes() {
    return nodeLost.sum() + expiries.values().stream().mapToLong(LongAdder::sum).sum();
  }

  @Override
  public String toString() {
    return "expiries=" + expiries + " node_lost=" + nodeLost;
  }

  private Void subscribe(NetSocket socket) {
    RecordParser frames = RecordParser.newFixed(4);
    frames.handler(
        new Handler<>() {
          private boolean header = true;

          @Override
          public void handle(Buffer buffer) {
            if (header) {
              frames.fixedSizeMode(buffer.getInt(0));
            } else {
              JsonObject frame = new JsonObject(buffer); // decoded as a consumer would
              if (Addresses.CLOSED.equals(frame.getString("address"))) {
                count(frame.getJsonObject("body"));
              }
              frames.fixedSizeMode(4);
            }
            header = !header;
          }
        });
    socket.handler(frames);
    for (String address : List.of(Addresses.OPENED, Addresses.CLOSED)) {
      Buffer frame = new JsonObject().put("type", "register").put("address", address).toBuffer();
      socket.write(Buffer.buffer().appendInt(frame.length()).appendBuffer(frame));
    }
    return null;
  }

  private void count(JsonObject close) {
    switch (close.getString(CloseEvent.REASON, "")) {
      case "NODE_LOST" -> nodeLost.increment();
      case "TIMEOUT" ->
          expiries
              .computeIfAbsent(close.getString("transport", ""), t -> new LongAdder())
              .increment();
      default -> {} // not the rehearsal's: a device that lost its connection
    }
  }
}
