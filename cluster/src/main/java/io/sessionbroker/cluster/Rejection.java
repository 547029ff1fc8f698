package io.sessionbroker.cluster;

/**
 * A connection that never became a session: no hello in time, a bad hello, a failed authentication.
 *
 * @param transport the transport it arrived on
 * @param remote the peer address as {@code host:port}
 * @param deviceId the device id it claimed, or null if it never said
 * @param code a stable machine-readable code, e.g. {@code handshake_timeout}, {@code bad_hello}
 * @param message a human-readable explanation
 */
public record Rejection(
    String transport, String remote, String deviceId, String code, String message) {}
