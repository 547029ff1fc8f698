package io.sessionbroker.transports.websocket;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which web pages may open a device session (and, with no admin token, use the operator's HTTP API
 * and SockJS bridge): the check of the upgrade request's {@code Origin} header (RFC 6455 §4.2.1
 * item 8, §10.2; RFC 6454). A browser sends the origin of the page that opens a WebSocket and
 * cannot forge it; without this check any page the user visits could open a session for any device
 * id on a loopback broker and take over the real device's session.
 *
 * <p>An upgrade is allowed when
 *
 * <ul>
 *   <li>it has no {@code Origin} header: not a browser (devices, tools), which could send anything
 *       anyway, so the header protects nothing there;
 *   <li>its origin's host equals the host of its {@code Host} header: the same host name or IP
 *       address, compared without case, whatever the scheme and the port (a page served on {@code
 *       http://10.0.0.5:7070} may open {@code ws://10.0.0.5:7080/devices}). The host is compared as
 *       written, with no name lookup: {@code http://localhost} is not the same host as {@code Host:
 *       127.0.0.1:7080};
 *   <li>or its origin is one of {@code allowedOrigins} ({@code scheme://host[:port]}, compared
 *       without case and without the scheme's default port; {@code null} for pages without an
 *       origin, e.g. {@code file:} pages), or the list holds {@code *} (any origin).
 * </ul>
 *
 * Everything else, including an origin that is not {@code scheme://host[:port]} and a request with
 * two {@code Origin} headers, is refused.
 *
 * <p>The same-host rule trusts the {@code Host} header: a page on a domain that resolves to the
 * broker's address (DNS rebinding) sends a matching {@code Host}. Devices beyond loopback
 * authenticate with tokens (README, DESIGN §8), which such a page does not have.
 */
public final class OriginPolicy {

  /** The {@code sessions.rejected} code of an upgrade whose origin is refused. */
  static final String REFUSED = "origin_not_allowed";

  /** The {@code allowedOrigins} entry that allows every origin. */
  static final String ANY = "*";

  /** RFC 6454 §6.2: the origin a browser sends for a page that has none. */
  private static final String OPAQUE = "null";

  private final boolean any;
  private final Set<String> allowed = new HashSet<>();

  /**
   * @param allowedOrigins origins allowed besides the same host, each {@code scheme://host[:port]},
   *     {@code null} or {@code *}
   * @throws IllegalArgumentException for an entry that is none of these
   */
  public OriginPolicy(List<String> allowedOrigins) {
    boolean anyOrigin = false;
    for (String origin : allowedOrigins) {
      if (ANY.equals(origin)) {
        anyOrigin = true;
        continue;
      }
      String normalized = normalize(origin);
      if (normalized == null) {
        throw new IllegalArgumentException(
            "allowedOrigins entry '"
                + origin
                + "' is not an origin: scheme://host[:port], \"null\" or \"*\"");
      }
      allowed.add(normalized);
    }
    this.any = anyOrigin;
  }

  /**
   * Whether an upgrade request may proceed.
   *
   * @param origins the values of its {@code Origin} headers
   * @param host its {@code Host} header, or null
   */
  public boolean allows(List<String> origins, String host) {
    if (origins.isEmpty() || any) {
      return true;
    }
    if (origins.size() > 1) {
      return false;
    }
    String origin = normalize(origins.get(0).trim());
    if (origin == null) {
      return false;
    }
    if (allowed.contains(origin)) {
      return true;
    }
    String hostOfHeader = hostOfHostHeader(host);
    return !OPAQUE.equals(origin) && hostOfHeader != null && hostOfHeader.equals(hostOf(origin));
  }

  /**
   * The {@code Origin} headers as a log or an answer shows them: one as it is, at most 200 chars.
   */
  public static String shown(List<String> origins) {
    String shown = origins.size() == 1 ? origins.get(0) : origins.toString();
    return shown.length() > 200 ? shown.substring(0, 200) + "…" : shown;
  }

  /**
   * RFC 6454 §6.2's serialization, lower case, without the scheme's default port; null when {@code
   * origin} is not {@code scheme://host[:port]} (a path, a query, user info) or {@code null}.
   */
  static String normalize(String origin) {
    if (OPAQUE.equalsIgnoreCase(origin)) {
      return OPAQUE;
    }
    URI uri;
    try {
      uri = new URI(origin);
    } catch (URISyntaxException e) {
      return null;
    }
    if (uri.getScheme() == null
        || uri.getHost() == null
        || uri.getRawUserInfo() != null
        || !uri.getRawPath().isEmpty()
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      return null;
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort() == defaultPort(scheme) ? -1 : uri.getPort();
    return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (port < 0 ? "" : ":" + port);
  }

  private static int defaultPort(String scheme) {
    return switch (scheme) {
      case "http", "ws" -> 80;
      case "https", "wss" -> 443;
      default -> -1;
    };
  }

  /** The host of a normalized origin: an IPv6 address keeps its brackets, as in a Host header. */
  private static String hostOf(String normalizedOrigin) {
    String authority = normalizedOrigin.substring(normalizedOrigin.indexOf("://") + 3);
    return hostOfHostHeader(authority);
  }

  /**
   * The host of {@code host[:port]} or {@code [v6]:port}, lower case; null when absent or empty.
   */
  private static String hostOfHostHeader(String header) {
    if (header == null) {
      return null;
    }
    String value = header.trim();
    int end;
    if (value.startsWith("[")) {
      end = value.indexOf(']') + 1;
    } else {
      end = value.lastIndexOf(':');
      end = end < 0 ? value.length() : end;
    }
    return end <= 0 ? null : value.substring(0, end).toLowerCase(Locale.ROOT);
  }
}
