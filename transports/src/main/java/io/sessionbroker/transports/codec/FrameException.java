package io.sessionbroker.transports.codec;

/** A frame the broker refuses, with the error code sent back to the device. */
public final class FrameException extends Exception {

  private final String code;

  public FrameException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** One of the codes of {@link Frames}: {@code bad_frame}, {@code protocol_error}, ... */
  public String code() {
    return code;
  }
}
