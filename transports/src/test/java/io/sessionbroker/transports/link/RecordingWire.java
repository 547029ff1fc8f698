package io.sessionbroker.transports.link;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Session;
import io.vertx.core.Context;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A wire that records what its {@link Link} asks of it, for {@code LinkTest}; its last words are
 * strings.
 */
final class RecordingWire implements Link.Wire<String> {

  final List<String> calls = new CopyOnWriteArrayList<>();

  @Override
  public void pause() {
    calls.add("pause");
  }

  @Override
  public void opened(Session session) {
    calls.add("opened");
  }

  @Override
  public String goodbye(CloseReason reason) {
    return "goodbye:" + reason;
  }

  @Override
  public String unavailable() {
    return "unavailable";
  }

  @Override
  public String banned() {
    return "banned";
  }

  @Override
  public void close(String lastWords) {
    calls.add("close " + lastWords);
  }

  @Override
  public void command(io.sessionbroker.cluster.DeviceCommand command) {
    calls.add("command " + command.name());
  }

  volatile String remote = "127.0.0.1:4242";

  @Override
  public String remote() {
    return remote;
  }

  @Override
  public void ended(Session session, CloseReason reason) {
    calls.add("ended " + reason);
  }

  final List<String> closing = new CopyOnWriteArrayList<>();
  volatile Context closingContext;

  @Override
  public void closing(Session session, CloseReason reason) {
    closingContext = io.vertx.core.Vertx.currentContext();
    closing.add("closing " + reason + " after " + calls.size() + " calls");
  }
}
