package io.sessionbroker.broker;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bin/broker token DEVICE}: the token DEVICE presents in its hello (needs auth.secret). */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description =
        "Print the authentication token of DEVICE: base64url(HMAC-SHA256(auth.secret, DEVICE)).")
final class TokenCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "DEVICE", description = "the device id")
  String device;

  @Override
  public Integer call() {
    main.refuseClusterFlag("token");
    BrokerConfig config = BrokerConfig.fromJson(main.configuration(false).json(), main.baseDir());
    if (!config.auth().tokens()) {
      throw new IllegalArgumentException(
          "auth.secret is not set (BROKER_AUTH_SECRET): tokens are not in use");
    }
    spec.commandLine().getOut().println(config.auth().tokenFor(device));
    return 0;
  }
}
