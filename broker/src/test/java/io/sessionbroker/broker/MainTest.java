package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Verifies the command line: subcommands, options and their defaults. */
class MainTest {

  @Test
  void helpListsEverySubcommandAndOption() {
    assertThat(Main.USAGE)
        .contains("run", "watch", "token", "config", "--conf", "--help", "BROKER_TCP_PORT");
  }

  @Test
  void runIsTheDefaultCommandOnTheShippedConfiguration() {
    Main.Arguments arguments = Main.Arguments.parse(new String[0]);

    assertThat(arguments.command()).isEqualTo("run");
    assertThat(arguments.conf()).isEqualTo(Path.of("conf", "broker.json"));
  }

  @Test
  void watchTakesAddressesAndConfTakesAFile() {
    Main.Arguments arguments =
        Main.Arguments.parse(new String[] {"watch", "--conf", "/etc/b.json", "sessions.closed"});

    assertThat(arguments.command()).isEqualTo("watch");
    assertThat(arguments.conf()).isEqualTo(Path.of("/etc/b.json"));
    assertThat(arguments.rest()).containsExactly("sessions.closed");
  }
}
