package io.sessionbroker.cluster;

/**
 * Why a command got no answer from its device, with the code the sender sees (the event bus failure
 * code, and the HTTP status of {@code POST /api/devices/{id}/commands/{name}}).
 */
public final class CommandFailure extends RuntimeException {

  /** The request is malformed: a field missing, of the wrong type or out of range. */
  public static final int BAD_REQUEST = 400;

  /** The device has no open session (on any node). */
  public static final int NO_SESSION = 404;

  /** The payload is larger than {@code commands.maxPayloadBytes} (or a UDP datagram allows). */
  public static final int TOO_LARGE = 413;

  /** The device already has {@code commands.maxInFlightPerDevice} commands waiting for replies. */
  public static final int TOO_MANY = 429;

  /** The session closed (or was taken over) before the device answered: failed at once. */
  public static final int SESSION_CLOSED = 503;

  /** No answer within the command's {@code timeoutMs}. */
  public static final int TIMEOUT = 504;

  private final int code;

  public CommandFailure(int code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
