package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.transports.auth.PasswordFile;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code bin/broker passwd FILE USER} as a process: the password from standard input (a
 * script; the terminal's twice-asked prompt needs a real terminal, see docs/security.md for a run),
 * the file it writes, changes and deletions, and that Mosquitto 2 accepts the file it writes.
 */
@Timeout(120)
class PasswdCommandIT {

  private static final Path MOSQUITTO = Path.of("/usr/sbin/mosquitto");
  private static final Path PUB = Path.of("/usr/bin/mosquitto_pub");

  @TempDir Path dir;

  /** A finished process: exit code, standard output, standard error. */
  record Finished(int exit, String out, String err) {}

  @Test
  void aUserAddedFromStandardInputIsInANewFileOnlyItsOwnerCanRead() throws Exception {
    // given no file yet
    Path file = dir.resolve("passwords");

    // when
    Finished added = passwd("s3cret\n", file.toString(), "alice");

    // then
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).isEqualTo("added user alice to " + file + "\n");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).singleElement().asString().startsWith("alice:$7$100000$");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PasswordFile.read(file).matches("alice", "s3cret")).isTrue();
  }

  @Test
  void aChangeReplacesTheUsersLineKeepingTheOthersAndDeleteRemovesIt() throws Exception {
    // given a file with a comment and two users
    Path file = dir.resolve("passwords");
    Files.writeString(file, "# fleet users\n");
    assertThat(passwd("one\n", "--iterations", "1000", file.toString(), "alice").exit()).isZero();
    assertThat(passwd("two\n", "--iterations", "1000", file.toString(), "bob").exit()).isZero();

    // when alice's password changes
    Finished changed = passwd("three\n", "--iterations", "1000", file.toString(), "alice");

    // then
    assertThat(changed.out()).isEqualTo("changed the password of alice in " + file + "\n");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3).first().isEqualTo("# fleet users");
    PasswordFile read = PasswordFile.read(file);
    assertThat(read.matches("alice", "three")).isTrue();
    assertThat(read.matches("alice", "one")).isFalse();
    assertThat(read.matches("bob", "two")).isTrue();

    // when bob is deleted, twice
    Finished deleted = passwd("", "--delete", file.toString(), "bob");
    Finished again = passwd("", "--delete", file.toString(), "bob");

    // then
    assertThat(deleted.exit()).isZero();
    assertThat(PasswordFile.read(file).has("bob")).isFalse();
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).isEqualTo("broker: no user bob in " + file + "\n");
  }

  @Test
  void noPasswordOrABadUserNameChangesNothing() throws Exception {
    Path file = dir.resolve("passwords");

    Finished empty = passwd("\n", file.toString(), "alice");
    Finished colon = passwd("pw\n", file.toString(), "al:ice");

    assertThat(empty.exit()).isEqualTo(1);
    assertThat(empty.err()).isEqualTo("broker: an empty password is not allowed\n");
    assertThat(colon.exit()).isEqualTo(2);
    assertThat(colon.err()).startsWith("broker: USER must be non-empty, without ':'");
    assertThat(file).doesNotExist();
  }

  /**
   * Verifies the other direction of the format's compatibility (PasswordFileTest reads
   * mosquitto_passwd's files): Mosquitto 2 itself, given a file this command wrote as its {@code
   * password_file}, lets mosquitto_pub in with the password and refuses a wrong one.
   */
  @Test
  void mosquittoAcceptsAFileThisCommandWrote() throws Exception {
    assumeTrue(
        Files.isExecutable(MOSQUITTO) && Files.isExecutable(PUB),
        "mosquitto or mosquitto-clients not installed: apt-get install mosquitto mosquitto-clients");
    // given a file of ours, and a Mosquitto that uses it
    Path file = dir.resolve("passwords");
    assertThat(passwd("pä55 word\n", file.toString(), "carol").exit()).isZero();
    int port = BrokerHarness.freePort();
    Path conf = dir.resolve("mosquitto.conf");
    Files.writeString(
        conf,
        // as root, Mosquitto would switch to the user "mosquitto", who cannot read the test's dir
        "user "
            + System.getProperty("user.name")
            + "\nlistener "
            + port
            + " 127.0.0.1\nallow_anonymous false\npassword_file "
            + file
            + "\n");
    Process mosquitto =
        new ProcessBuilder(MOSQUITTO.toString(), "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mosquitto.log").toFile())
            .start();
    try {
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> listening(port));

      // when mosquitto_pub connects with the right password, then a wrong one
      Finished right =
          run(
              "",
              PUB.toString(),
              "-p",
              "" + port,
              "-u",
              "carol",
              "-P",
              "pä55 word",
              "-t",
              "t",
              "-m",
              "m");
      Finished wrong =
          run(
              "",
              PUB.toString(),
              "-p",
              "" + port,
              "-u",
              "carol",
              "-P",
              "pass word",
              "-t",
              "t",
              "-m",
              "m");

      // then
      assertThat(right.exit()).as(right.err()).isZero();
      assertThat(wrong.exit()).isNotZero();
      assertThat(wrong.err()).contains("not authorised");
    } finally {
      mosquitto.destroy();
      mosquitto.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Finished passwd(String stdin, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName(),
                "passwd"));
    command.addAll(List.of(args));
    return run(stdin, command.toArray(String[]::new));
  }

  private static Finished run(String stdin, String... command) throws Exception {
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
    return new Finished(process.exitValue(), out, err);
  }
}
