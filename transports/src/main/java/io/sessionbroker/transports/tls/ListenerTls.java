package io.sessionbroker.transports.tls;

/**
 * How a listener uses TLS: a TLS port beside its plain one, or instead of it.
 *
 * @param plain whether the plain-text port is bound too ({@code <listener>.plain}, default true)
 * @param port the TLS port ({@code <listener>.tlsPort}); 0 picks a free one
 * @param options the certificate to serve; null when this listener has no TLS port
 */
public record ListenerTls(boolean plain, int port, TlsOptions options) {

  /** Plain text only: no {@code tls} section, or no {@code tlsPort} for this listener. */
  public static final ListenerTls NONE = new ListenerTls(true, 0, null);

  public ListenerTls {
    if (options != null && (port < 0 || port > 65_535)) {
      throw new IllegalArgumentException("tlsPort must be 0..65535, was " + port);
    }
    if (!plain && options == null) {
      throw new IllegalArgumentException(
          "plain=false needs a TLS port: set tls.certFile and tls.keyFile, and a tlsPort");
    }
  }

  /** Whether a TLS port is bound. */
  public boolean enabled() {
    return options != null;
  }
}
