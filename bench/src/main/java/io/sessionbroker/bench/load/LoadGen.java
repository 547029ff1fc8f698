package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The load generator: simulates N devices against a running broker (see {@link LoadOptions#HELP}
 * and bench/README.md). With more devices than one process may hold sockets for, it runs its
 * workers as child processes and merges what they measure. With {@code --rehearse}, each process
 * that drives devices first runs an unmeasured mass close ({@link Rehearsal}).
 */
public final class LoadGen {

  private LoadGen() {}

  public static void main(String[] args) throws Exception {
    LoadOptions o;
    try {
      o = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (o.workers() > 1) {
      Rehearsal.runIfAsked(o);
      JsonObject result = new Worker(o, new StdioCoordinator()).run();
      System.out.println("@result " + result.encode());
      System.exit(0);
    }
    List<ProcessPlan.Range> plan = ProcessPlan.split(o.devices(), o.perProcess());
    if (o.commands().count() > 0 && plan.size() > 1) {
      System.err.println("--commands needs every device in one process (raise --per-process)");
      System.exit(2);
    }
    BrokerSampler sampler = new BrokerSampler(o.brokerPid(), 2_000);
    List<JsonObject> results;
    if (plan.size() == 1) {
      Rehearsal.runIfAsked(o);
      results =
          List.of(
              new Worker(
                      o,
                      (phase, values) -> {
                        sampler.arrived(phase, List.of(values));
                        return CompletableFuture.completedFuture(null);
                      })
                  .run());
    } else {
      results = new Children(o, plan, sampler).run();
    }
    JsonObject report = Report.merge(o, plan.size(), sampler, results);
    if (results.get(0).containsKey("commands")) {
      report.put("commands", results.get(0).getJsonObject("commands"));
    }
    System.out.print(Report.text(report));
    if (report.containsKey("commands")) {
      System.out.print(CommandSender.text(report.getJsonObject("commands")));
    }
    if (o.jsonFile() != null) {
      Files.writeString(Path.of(o.jsonFile()), report.encodePrettily());
    }
    System.exit(0);
  }
}
