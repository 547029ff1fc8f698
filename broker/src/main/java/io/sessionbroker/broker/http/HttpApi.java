package io.sessionbroker.broker.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CommandOptions;
import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.websocket.OriginPolicy;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Supplier;

/**
 * The operator's HTTP listener (docs/http.md): {@code /health}, {@code /ready}, {@code /metrics},
 * and under {@code /api} a REST mirror of the event bus admin API ({@code sessions.admin.*}) plus
 * the event stream. Every {@code /api} call is a request to the same admin consumers the bridge
 * reaches, so HTTP and the event bus answer alike, with the same error codes.
 */
public final class HttpApi {

  private static final DeliveryOptions ADMIN_REQUEST = new DeliveryOptions().setSendTimeout(10_000);

  /** Without an admin token, the pages that may use {@code /api} and {@code /eventbus}. */
  private static final OriginPolicy OWN_HOST = new OriginPolicy(List.of());

  private final Vertx vertx;
  private final HttpOptions options;
  private final Supplier<JsonObject> readiness;
  private final PrometheusMeterRegistry registry;
  private final EventLog eventLog;
  private final SockJSBridgeOptions bridge;
  private final Handler<BridgeEvent> bridgeEvents;
  private final CommandOptions commands;

  /**
   * @param readiness {@code {"ready": bool, ...}}: what {@code /ready} reports
   * @param bridge what the SockJS event bus bridge permits: the same as the TCP bridge
   * @param bridgeEvents the SockJS bridge's hook: which frames it may act on
   * @param commands the bounds of commands to devices ({@code POST /api/devices/…/commands/…})
   */
  public HttpApi(
      Vertx vertx,
      HttpOptions options,
      Supplier<JsonObject> readiness,
      PrometheusMeterRegistry registry,
      EventLog eventLog,
      SockJSBridgeOptions bridge,
      Handler<BridgeEvent> bridgeEvents,
      CommandOptions commands) {
    this.bridge = bridge;
    this.bridgeEvents = bridgeEvents;
    this.commands = commands;
    this.vertx = vertx;
    this.options = options;
    this.readiness = readiness;
    this.registry = registry;
    this.eventLog = eventLog;
  }

  /** Binds the plain-text listener; fails with the bind error. */
  public Future<HttpServer> start() {
    return vertx.createHttpServer().requestHandler(router()).listen(options.port(), options.host());
  }

  /**
   * Binds the HTTPS listener on {@code tls.port()}, with the same routes, and re-reads its
   * certificate when the files change; fails with the bind error.
   */
  public Future<HttpServer> startTls(ListenerTls tls) {
    HttpServerOptions server =
        tls.options().applyTo(new HttpServerOptions().setHost(options.host()).setPort(tls.port()));
    HttpServer https = vertx.createHttpServer(server).requestHandler(router());
    return https
        .listen()
        .onSuccess(
            s ->
                new CertificateReloader(
                        vertx, tls.options(), "http", o -> https.updateSSLOptions(o, true))
                    .start());
  }

  Router router() {
    Router router = Router.router(vertx);
    get(router, "/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    get(router, "/ready")
        .handler(
            ctx -> {
              JsonObject ready = readiness.get();
              json(ctx, ready.getBoolean("ready", false) ? 200 : 503, ready);
            });
    router
        .head("/metrics")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                    .end());
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    for (String path : List.of("/health", "/ready", "/metrics")) {
      allow(router, path, "GET, HEAD");
    }
    router.route("/api/*").handler(this::authorize);
    get(router, "/api/sessions").handler(ctx -> admin(ctx, Addresses.ADMIN_LIST, listRequest(ctx)));
    get(router, "/api/sessions/count")
        .handler(ctx -> admin(ctx, Addresses.ADMIN_COUNT, new JsonObject()));
    get(router, "/api/sessions/:id").handler(ctx -> admin(ctx, Addresses.ADMIN_GET, target(ctx)));
    router.delete("/api/sessions/:id").handler(this::kick);
    get(router, "/api/events")
        .handler(
            ctx ->
                admin(
                    ctx,
                    Addresses.ADMIN_EVENTS,
                    new JsonObject()
                        .put("fromSeq", number(ctx, "fromSeq"))
                        .put("max", number(ctx, "max"))));
    get(router, "/api/bans").handler(ctx -> admin(ctx, Addresses.ADMIN_BANS, new JsonObject()));
    router.delete("/api/bans/:id").handler(ctx -> admin(ctx, Addresses.ADMIN_UNBAN, target(ctx)));
    get(router, "/api/events/stream").handler(ctx -> EventStream.serve(ctx, vertx, eventLog));
    router
        .post("/api/devices/:deviceId/commands/:name")
        .handler(new CommandsResource(bus(), commands));
    for (String path : List.of("/api/sessions", "/api/events", "/api/events/stream", "/api/bans")) {
      allow(router, path, "GET, HEAD");
    }
    allow(router, "/api/sessions/:id", "GET, HEAD, DELETE");
    allow(router, "/api/bans/:id", "DELETE");
    allow(router, "/api/devices/:deviceId/commands/:name", "POST");
    router
        .route("/api/*")
        .handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().path()));
    // The SockJS event bus bridge for browsers and JavaScript consumers, guarded like /api.
    router.route("/eventbus/*").handler(this::authorize);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(bridge, bridgeEvents));
    // The dashboard: static files from the jar; its API calls carry the token the operator types.
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.errorHandler(
        405, ctx -> error(ctx, 405, "method not allowed: " + ctx.request().method()));
    // A path Vert.x cannot decode (a bad percent-escape such as /api/sessions/%ZZ) fails in the
    // router before any route: without this it answered a plain-text "Bad Request", not the
    // documented {"error","message"} shape (docs/http.md).
    router.errorHandler(400, ctx -> error(ctx, 400, "malformed request: " + reason(ctx)));
    return router;
  }

  /** Why the router refused a request: its failure's message, if it has one. */
  private static String reason(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    return failure == null || failure.getMessage() == null
        ? "the path or query cannot be decoded"
        : failure.getMessage();
  }

  /** GET on {@code path}, and HEAD with it: RFC 9110 §9.1, a server that has GET has HEAD. */
  private static Route get(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /**
   * Any other method on a resource: 405 with the methods it has, not the 404 of an unknown path
   * (RFC 9110 §15.5.6: the origin server MUST send Allow in a 405). Registered after the routes of
   * {@code path}, before the catch-all 404 of {@code /api/*}.
   */
  private static void allow(Router router, String path, String methods) {
    router
        .route(path)
        .handler(
            ctx -> {
              ctx.response().putHeader(HttpHeaders.ALLOW, methods);
              error(
                  ctx,
                  405,
                  "method not allowed: " + ctx.request().method() + "; allowed: " + methods);
            });
  }

  /**
   * With {@code http.adminToken} set, every {@code /api} call must carry {@code Authorization:
   * Bearer <token>}; compared in constant time. Without one, only pages of the broker's own host.
   */
  private void authorize(RoutingContext ctx) {
    String token = options.adminToken();
    if (token.isEmpty()) {
      ownHostOnly(ctx);
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    // A browser's EventSource cannot set headers: the stream also takes ?access_token= (RFC 6750
    // §2.3).
    String query = ctx.queryParams().get("access_token");
    String presented =
        // RFC 9110 §11.1: the scheme is case-insensitive ("bearer" is Bearer).
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7)
            : query != null ? query : "";
    if (MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
    } else {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"sessionbroker\"");
      error(ctx, 401, "missing or wrong admin token (Authorization: Bearer <http.adminToken>)");
    }
  }

  /**
   * Without an admin token, being able to reach the loopback port is the only credential, and a
   * browser on the machine reaches it for any page it shows: a page of another site could post a
   * command without a CORS preflight (a text body) and open the SockJS bridge's WebSocket, which
   * the same-origin policy does not cover, then kick sessions and read every event (cross-site
   * request forgery, RFC 6455 §10.2). The browser names the page in {@code Origin}, which a page
   * cannot forge: a request from another host's page is refused with 403, as the WebSocket
   * transport refuses a foreign upgrade; tools and devices send no {@code Origin} and pass. A page
   * of another site that should use the API gets it with the admin token.
   */
  private static void ownHostOnly(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    List<String> origin = request.headers().getAll(HttpHeaders.ORIGIN);
    // the Host header of HTTP/1.1, :authority of HTTP/2 (the JDK's client upgrades to h2c)
    HostAndPort authority = request.authority();
    if (OWN_HOST.allows(origin, authority == null ? null : authority.toString())) {
      ctx.next();
    } else {
      error(
          ctx,
          403,
          "a page of origin "
              + OriginPolicy.shown(origin)
              + " is not served without http.adminToken: only the broker's own host");
    }
  }

  private void kick(RoutingContext ctx) {
    bus()
        .<JsonObject>request(Addresses.ADMIN_KICK, target(ctx), ADMIN_REQUEST)
        .onComplete(
            reply -> {
              if (reply.failed()) {
                failed(ctx, reply.cause());
              } else if (!reply.result().body().getBoolean("kicked", false)) {
                error(ctx, 404, "no open session for " + ctx.pathParam("id"));
              } else {
                json(ctx, 200, reply.result().body());
              }
            });
  }

  private void admin(RoutingContext ctx, String address, JsonObject request) {
    bus()
        .<JsonObject>request(address, request, ADMIN_REQUEST)
        .onComplete(
            reply -> {
              if (reply.succeeded()) {
                json(ctx, 200, reply.result().body());
              } else {
                failed(ctx, reply.cause());
              }
            });
  }

  private EventBus bus() {
    return vertx.eventBus();
  }

  private static JsonObject listRequest(RoutingContext ctx) {
    return new JsonObject()
        .put("transport", ctx.queryParams().get("transport"))
        .put("offset", number(ctx, "offset"))
        .put("limit", number(ctx, "limit"));
  }

  private static JsonObject target(RoutingContext ctx) {
    return new JsonObject().put("deviceId", ctx.pathParam("id"));
  }

  /**
   * A query parameter as a number when it reads as one, else as the text (the admin API then
   * answers 400, naming the parameter), or null when absent.
   */
  static Object number(RoutingContext ctx, String name) {
    String text = ctx.queryParams().get(name);
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return text;
    }
  }

  private static void failed(RoutingContext ctx, Throwable cause) {
    if (cause instanceof ReplyException reply && reply.failureCode() >= 400) {
      error(ctx, reply.failureCode(), reply.getMessage());
    } else {
      error(ctx, 503, "the admin API did not answer: " + cause.getMessage());
    }
  }

  static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", status).put("message", message));
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    Buffer bytes = body.toBuffer();
    HttpServerResponse response =
        ctx.response()
            .setStatusCode(status)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    if (ctx.request().method() == HttpMethod.HEAD) {
      // RFC 9110 §9.3.2: GET's status and headers without the content, which Vert.x would send
      // (and a keep-alive client would then read as the start of its next response).
      response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(bytes.length())).end();
    } else {
      response.end(bytes);
    }
  }
}
