package io.sessionbroker.broker;

import io.sessionbroker.transports.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker passwd FILE USER}: adds USER to the password file ({@code auth.passwordFile})
 * or changes their password; {@code --delete} removes them. The password is asked twice on a
 * terminal and read as one line from standard input otherwise (a script: {@code echo "$PW" |
 * bin/broker passwd ...}); it never appears on the command line, where {@code ps} would show it.
 *
 * <p>The file is Mosquitto 2's ({@link PasswordHash}): {@code mosquitto_passwd} and this command
 * edit the same file. Other lines are kept as they are. The new file replaces the old one by a
 * rename, which is what the broker's reload watches for; a file created here is readable by its
 * owner only.
 */
@Command(
    name = "passwd",
    mixinStandardHelpOptions = true,
    description =
        "Add USER to the password file FILE (auth.passwordFile) or change their password;"
            + " --delete removes USER. The password is asked twice on a terminal, read as one line"
            + " from standard input otherwise.")
final class PasswdCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "the password file")
  Path file;

  @Parameters(index = "1", paramLabel = "USER", description = "the user name")
  String user;

  @Option(names = "--delete", description = "remove USER instead")
  boolean delete;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      description =
          "PBKDF2-SHA512 rounds (default ${DEFAULT-VALUE}: about 0.1 s of one core per check)")
  int iterations = PasswordHash.DEFAULT_ITERATIONS;

  @Override
  public Integer call() throws IOException {
    if (user.isEmpty() || user.contains(":") || !user.strip().equals(user)) {
      throw new IllegalArgumentException(
          "USER must be non-empty, without ':' and without surrounding spaces");
    }
    if (iterations < 1_000 || iterations > 10_000_000) {
      throw new IllegalArgumentException("--iterations must be 1000..10000000, was " + iterations);
    }
    List<String> lines = Files.exists(file) ? Files.readAllLines(file) : new ArrayList<>();
    int index = indexOf(lines, user);
    String done;
    if (delete) {
      if (index < 0) {
        throw new IllegalStateException("no user " + user + " in " + file);
      }
      lines.remove(index);
      done = "deleted user " + user + " from " + file;
    } else {
      String line =
          user + ":" + PasswordHash.create(password(), iterations, new SecureRandom()).encode();
      if (index < 0) {
        lines.add(line);
        done = "added user " + user + " to " + file;
      } else {
        lines.set(index, line);
        done = "changed the password of " + user + " in " + file;
      }
    }
    replace(lines);
    spec.commandLine().getOut().println(done);
    return 0;
  }

  private static int indexOf(List<String> lines, String user) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().startsWith(user + ":")) {
        return i;
      }
    }
    return -1;
  }

  /** Twice from the terminal, or one line of standard input. */
  private String password() throws IOException {
    Console console = System.console();
    String password;
    if (console != null) {
      char[] first = console.readPassword("Password: ");
      char[] again = console.readPassword("Reenter password: ");
      if (first == null || again == null || !Arrays.equals(first, again)) {
        throw new IllegalStateException("the passwords do not match");
      }
      password = new String(first);
    } else {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      password = in.readLine();
      if (password == null) {
        throw new IllegalStateException("no password on standard input");
      }
    }
    if (password.isEmpty()) {
      throw new IllegalStateException("an empty password is not allowed");
    }
    return password;
  }

  /** Writes a new file next to the old one, then renames it over it. */
  private void replace(List<String> lines) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
    Files.write(temporary, lines, StandardCharsets.UTF_8);
    try {
      Set<PosixFilePermission> permissions =
          Files.exists(absolute)
              ? Files.getPosixFilePermissions(absolute)
              : PosixFilePermissions.fromString("rw-------");
      Files.setPosixFilePermissions(temporary, permissions);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its default permissions
    }
    Files.move(
        temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
