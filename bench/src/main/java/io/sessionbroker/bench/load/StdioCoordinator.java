package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** A child worker's side of {@link Children}: phases out on stdout, {@code go} in on stdin. */
final class StdioCoordinator implements Coordinator {

  private final BufferedReader in =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));

  @Override
  public CompletableFuture<Void> arrive(String phase, JsonObject values) {
    System.out.println("@phase " + phase + " " + values.encode());
    System.out.flush();
    return CompletableFuture.runAsync(
        () -> {
          try {
            if (!"go".equals(in.readLine())) {
              throw new IllegalStateException("the parent went away");
            }
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }
}
