package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LoadOptionsTest {

  @Test
  void silentShareSelectsExactlyThatManyDevicesSpreadOverTheTransports() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--devices", "19000", "--silent", "0.05", "--transports", "tcp,mqtt,websocket"
            });

    // when
    List<Integer> silent = IntStream.range(0, 19_000).filter(o::silent).boxed().toList();

    // then
    assertThat(silent).hasSize(950);
    assertThat(silent.stream().map(o::transportOf).distinct()).hasSize(3);
  }

  @Test
  void aWorkerGetsItsRangeAndTheSameSettings() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {"--devices", "19000", "--rate", "5000", "--mqtt-port", "11884"});

    // when
    LoadOptions worker =
        LoadOptions.parse(
            o.workerArgs(new ProcessPlan.Range(9_500, 9_500), 2).toArray(String[]::new));

    // then
    assertThat(worker.first()).isEqualTo(9_500);
    assertThat(worker.devices()).isEqualTo(9_500);
    assertThat(worker.workers()).isEqualTo(2);
    assertThat(worker.ratePerS()).isEqualTo(5000);
    assertThat(worker.mqttPort()).isEqualTo(11884);
  }

  /** Verifies that a worker process connects over TLS too when the parent was given --tls-ca. */
  @Test
  void aWorkerKeepsTheTlsCa() {
    // given
    LoadOptions o =
        LoadOptions.parse(new String[] {"--devices", "10000", "--tls-ca", "/tmp/ca.pem"});

    // when
    LoadOptions worker =
        LoadOptions.parse(
            o.workerArgs(new ProcessPlan.Range(5_000, 5_000), 2).toArray(String[]::new));

    // then
    assertThat(worker.tlsCa()).isEqualTo("/tmp/ca.pem");
    assertThat(LoadOptions.parse(new String[] {}).tlsCa()).isNull();
  }

  @Test
  void moreSocketsPerProcessThanTheFileBudgetAreRefused() {
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--per-process", "20000"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("20,000 open files");
  }

  @Test
  void unknownOptionsAreRefused() {
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--devcies", "10"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("devcies");
  }

  @Test
  void udpOnlyRunsMayPutAMillionDevicesInOneProcess() {
    // when
    LoadOptions o = LoadOptions.parse(new String[] {"--transports", "udp", "--devices", "1000000"});

    // then
    assertThat(o.perProcess()).isEqualTo(1_000_000);
    assertThat(ProcessPlan.split(o.devices(), o.perProcess())).hasSize(1);
    assertThat(o.portOf(Transport.UDP)).isEqualTo(7001);
    assertThat(o.udpSockets()).isEqualTo(64);
  }

  @Test
  void socketTransportsMixedWithUdpKeepTheFileBudget() {
    assertThat(LoadOptions.parse(new String[] {"--transports", "tcp,udp"}).perProcess())
        .isEqualTo(18_000);
    assertThatThrownBy(
            () ->
                LoadOptions.parse(
                    new String[] {"--transports", "tcp,udp", "--per-process", "20000"}))
        .hasMessageContaining("20,000 open files");
  }

  @Test
  void workersGetTheUdpSettings() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {"--transports", "udp", "--udp-port", "17001", "--udp-sockets", "8"});

    // when
    LoadOptions worker =
        LoadOptions.parse(o.workerArgs(new ProcessPlan.Range(0, 500), 2).toArray(String[]::new));

    // then
    assertThat(worker.udpPort()).isEqualTo(17001);
    assertThat(worker.udpSockets()).isEqualTo(8);
    assertThat(worker.transports()).containsExactly(Transport.UDP);
  }

  @Test
  void theRehearsalIsAnUnmeasuredMassCloseOfItsOwnDevices() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--transports",
              "tcp,websocket",
              "--devices",
              "1000",
              "--silent",
              "0.5",
              "--hold-s",
              "3",
              "--heartbeat-ms",
              "2000",
              "--prefix",
              "warm-",
              "--rehearse",
              "800",
              "--json",
              "/tmp/r.json",
              "--closes-file",
              "/tmp/c.txt",
              "--commands",
              "10"
            });

    // when
    LoadOptions r = o.rehearsal();

    // then
    assertThat(r.devices()).isEqualTo(800);
    assertThat(r.silentShare()).isEqualTo(1.0);
    assertThat(r.holdS()).isEqualTo(1);
    assertThat(r.heartbeatMs()).isEqualTo(2000);
    assertThat(r.transports()).containsExactly(Transport.TCP, Transport.WEBSOCKET);
    assertThat(r.prefix()).isEqualTo("warm-rehearsal-");
    assertThat(r.rehearse()).isZero();
    assertThat(r.jsonFile()).isNull();
    assertThat(r.closesFile()).isNull();
    assertThat(r.commands().count()).isZero();
    assertThat(r.commands().answer()).isFalse();
  }

  @Test
  void workersRehearseAndTraceTheirOwnCloses() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--devices",
              "1000",
              "--per-process",
              "500",
              "--rehearse",
              "500",
              "--closes-file",
              "/tmp/c.txt"
            });

    // when
    LoadOptions worker =
        LoadOptions.parse(o.workerArgs(new ProcessPlan.Range(500, 500), 2).toArray(String[]::new));

    // then
    assertThat(worker.rehearse()).isEqualTo(500);
    assertThat(worker.closesFile()).isEqualTo("/tmp/c.txt.500");
  }

  @Test
  void aRehearsalLargerThanAProcessRunsInRoundsOfThatProcessesDevices() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {"--devices", "1000", "--per-process", "1000", "--rehearse", "15000"});

    // then: rounds of 1,000, never more sockets than the measured run holds
    assertThat(o.rehearse()).isEqualTo(15000);
    assertThat(o.rehearsal().devices()).isEqualTo(1000);
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--rehearse", "-1"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--rehearse");
  }

  @Test
  void theConnectWarmUpOpensAndClosesItsOwnDevicesWithoutHoldOrSilence() {
    // given
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--transports",
              "tcp,mqtt",
              "--devices",
              "10000",
              "--per-process",
              "5000",
              "--rate",
              "0",
              "--max-pending",
              "1000",
              "--hold-s",
              "10",
              "--silent",
              "0.5",
              "--prefix",
              "c1-",
              "--warm-connects",
              "4000",
              "--rehearse",
              "100",
              "--json",
              "/tmp/r.json",
              "--closes-file",
              "/tmp/c.txt"
            });

    // when
    LoadOptions w = o.connectWarmUp();
    LoadOptions worker =
        LoadOptions.parse(
            o.workerArgs(new ProcessPlan.Range(5000, 5000), 2).toArray(String[]::new));

    // then
    assertThat(w.devices()).isEqualTo(4000);
    assertThat(w.transports()).containsExactly(Transport.TCP, Transport.MQTT);
    assertThat(w.ratePerS()).isZero();
    assertThat(w.maxPending()).isEqualTo(1000);
    assertThat(w.holdS()).isZero();
    assertThat(w.silentShare()).isZero();
    assertThat(w.prefix()).isEqualTo("c1-warmup-");
    assertThat(w.bridgePort()).as("the warm-up's closes are watched by Rehearsal").isZero();
    assertThat(w.warmConnects()).isZero();
    assertThat(w.rehearse()).isZero();
    assertThat(w.jsonFile()).isNull();
    assertThat(w.closesFile()).isNull();
    assertThat(worker.warmConnects()).isEqualTo(4000);
    assertThat(o.rehearsal().warmConnects()).isZero();
  }

  @Test
  void aConnectWarmUpLargerThanAProcessRunsInRoundsOfThatProcessesDevices() {
    // given: the worker of the second 500 of 1,000, as its parent starts it
    LoadOptions parent =
        LoadOptions.parse(
            new String[] {"--devices", "1000", "--per-process", "500", "--warm-connects", "1200"});
    LoadOptions o =
        LoadOptions.parse(
            parent.workerArgs(new ProcessPlan.Range(500, 500), 2).toArray(String[]::new));

    // then: rounds of 500, never more sockets than the measured run holds
    assertThat(o.warmConnects()).isEqualTo(1200);
    assertThat(o.connectWarmUp().devices()).isEqualTo(500);
    assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--warm-connects", "-1"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--warm-connects");
  }
}
