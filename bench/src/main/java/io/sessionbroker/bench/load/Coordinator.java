package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;

/**
 * Lines up the workers of one run at its phases ({@code connected}: every session of every worker
 * is open; {@code held}: the hold is over), so that the broker is sampled once, when all of them
 * are there. A worker keeps heartbeating while it waits: the future completes when the run may go
 * on.
 */
interface Coordinator {

  CompletableFuture<Void> arrive(String phase, JsonObject values);
}
