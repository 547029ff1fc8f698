package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the workers as child JVMs, one per {@link ProcessPlan.Range}, because one process may hold
 * only so many sockets. A child speaks on stdout ({@code @phase NAME JSON}, then {@code @result
 * JSON}) and waits for {@code go} on stdin after each phase; its stderr (the progress line) goes to
 * ours.
 */
final class Children {

  private final LoadOptions options;
  private final List<ProcessPlan.Range> plan;
  private final BrokerSampler sampler;
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, List<JsonObject>> arrivals = new HashMap<>();
  private final JsonObject[] results;

  Children(LoadOptions options, List<ProcessPlan.Range> plan, BrokerSampler sampler) {
    this.options = options;
    this.plan = plan;
    this.sampler = sampler;
    this.results = new JsonObject[plan.size()];
  }

  List<JsonObject> run() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:+UseSerialGC"));
      // then the parent's own options (LG_JAVA_OPTS): after the defaults, so they win
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadGen.class.getName()));
      cmd.addAll(options.workerArgs(plan.get(i), plan.size()));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      processes.add(p);
      int child = i;
      Thread reader = new Thread(() -> read(child, p), "loadgen-child-" + i);
      reader.start();
      readers.add(reader);
    }
    for (Thread reader : readers) {
      reader.join();
    }
    List<JsonObject> all = new ArrayList<>();
    for (int i = 0; i < results.length; i++) {
      if (results[i] == null) {
        throw new IllegalStateException(
            "worker " + i + " ended without a result (exit " + processes.get(i).waitFor() + ")");
      }
      all.add(results[i]);
    }
    return all;
  }

  private void read(int child, Process p) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("@phase ")) {
          String[] parts = line.split(" ", 3);
          arrived(parts[1], new JsonObject(parts[2]));
        } else if (line.startsWith("@result ")) {
          results[child] = new JsonObject(line.substring("@result ".length()));
        } else {
          System.out.println(line);
        }
      }
    } catch (IOException e) {
      System.err.println("loadgen: lost worker " + child + ": " + e);
    }
  }

  private void arrived(String phase, JsonObject values) throws IOException {
    List<JsonObject> here;
    synchronized (arrivals) {
      here = arrivals.computeIfAbsent(phase, k -> new ArrayList<>());
      here.add(values);
      if (here.size() < plan.size()) {
        return;
      }
    }
    sampler.arrived(phase, here);
    for (Process p : processes) {
      OutputStream in = p.getOutputStream();
      in.write("go\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
    }
  }
}
