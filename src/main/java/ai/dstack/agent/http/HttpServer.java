package ai.dstack.agent.http;

import ai.dstack.agent.json.JsonException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small HTTP/1.1 server for the agent's two APIs. The JDK's server cannot hand over the socket
 * for a WebSocket upgrade ({@code /logs_ws}), and the agent carries no web framework, so this one
 * reads requests itself, several per connection (the server polls hosts often).
 */
public final class HttpServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(HttpServer.class.getName());
  private static final int MAX_HEADER_BYTES = 64 * 1024;
  private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** Answers one request. */
  public interface Handler {
    HttpResponse handle(HttpRequest request) throws IOException;
  }

  /** Serves an upgraded connection until it returns; the socket is closed afterwards. */
  public interface WebSocketHandler {
    void serve(HttpRequest request, WebSocket socket) throws IOException;
  }

  private record Route(String method, String[] segments, Handler handler, WebSocketHandler ws) {}

  private final List<Route> routes = new ArrayList<>();
  private final String name;
  private ServerSocket serverSocket;
  private ExecutorService connections;
  private volatile boolean closed;

  public HttpServer(String name) {
    this.name = name;
  }

  public HttpServer route(String method, String pattern, Handler handler) {
    routes.add(new Route(method, pattern.substring(1).split("/"), handler, null));
    return this;
  }

  public HttpServer webSocket(String pattern, WebSocketHandler handler) {
    routes.add(new Route("GET", pattern.substring(1).split("/"), null, handler));
    return this;
  }

  /** Binds and starts accepting; port 0 picks a free port. */
  public HttpServer start(String host, int port) throws IOException {
    serverSocket = new ServerSocket();
    serverSocket.setReuseAddress(true);
    serverSocket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
    connections =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, name + "-http");
              t.setDaemon(true);
              return t;
            });
    Thread acceptor = new Thread(this::acceptLoop, name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return this;
  }

  public int port() {
    return serverSocket.getLocalPort();
  }

  @Override
  public void close() {
    closed = true;
    try {
      if (serverSocket != null) {
        serverSocket.close();
      }
    } catch (IOException ignored) {
      // closing a listening socket cannot lose anything
    }
    if (connections != null) {
      connections.shutdownNow();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = serverSocket.accept();
        connections.execute(() -> serve(socket));
      } catch (IOException e) {
        if (!closed) {
          LOG.log(Level.WARNING, name + ": accept failed: " + e.getMessage());
        }
      } catch (RuntimeException rejectedAfterClose) {
        return;
      }
    }
  }

  /** Serves requests on one connection until the client closes it or asks to (keep-alive). */
  private void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout(120_000);
      // small answers on a kept-alive connection must not wait for the client's delayed ACK
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (!closed) {
        String requestLine = readLine(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
          write(out, HttpResponse.text(400, "malformed request line"), false);
          return;
        }
        Map<String, String> headers = readHeaders(in);
        boolean keepAlive =
            parts[2].equals("HTTP/1.1") && !"close".equalsIgnoreCase(headers.get("connection"));
        InputStream body = bodyStream(in, headers);
        HttpRequest request = new HttpRequest(parts[0], parts[1], headers, body);
        if (!dispatch(request, socket, in, out, keepAlive) || !keepAlive) {
          return;
        }
      }
    } catch (SocketException | EOFException | SocketTimeoutException e) {
      // the client went away or stayed idle: nothing to answer
    } catch (IOException e) {
      LOG.log(Level.FINE, name + ": connection failed: " + e.getMessage());
    }
  }

  /** Answers one request; false when the connection was handed to a WebSocket. */
  private boolean dispatch(
      HttpRequest request, Socket socket, InputStream in, OutputStream out, boolean keepAlive)
      throws IOException {
    boolean pathMatched = false;
    for (Route route : routes) {
      Map<String, String> params = match(route.segments(), request.path());
      if (params == null) {
        continue;
      }
      pathMatched = true;
      if (!route.method().equals(request.method())) {
        continue;
      }
      request.pathParams(params);
      if (route.ws() != null) {
        upgrade(request, route.ws(), socket, in, out);
        return false;
      }
      HttpResponse response;
      try {
        response = route.handler().handle(request);
      } catch (HttpException e) {
        response = HttpResponse.text(e.status(), e.getMessage());
      } catch (JsonException e) {
        response =
            HttpResponse.text(400, "Request body contains an invalid value: " + e.getMessage());
      } catch (RuntimeException | IOException e) {
        LOG.log(
            Level.WARNING, name + ": " + request.method() + " " + request.path() + " failed", e);
        response = HttpResponse.text(500, "internal error: " + e.getMessage());
      }
      request.body().transferTo(OutputStream.nullOutputStream());
      write(out, response, keepAlive);
      return true;
    }
    request.body().transferTo(OutputStream.nullOutputStream());
    write(
        out,
        pathMatched
            ? HttpResponse.text(405, "method not allowed")
            : HttpResponse.text(404, "404 page not found"),
        keepAlive);
    return true;
  }

  private void upgrade(
      HttpRequest request,
      WebSocketHandler handler,
      Socket socket,
      InputStream in,
      OutputStream out)
      throws IOException {
    String key = request.header("sec-websocket-key");
    String upgrade = request.header("upgrade");
    if (key == null || upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      write(out, HttpResponse.text(400, "a WebSocket upgrade is expected"), false);
      return;
    }
    String accept = websocketAccept(key);
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + accept
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    socket.setSoTimeout(0);
    WebSocket ws = new WebSocket(in, out);
    ws.startReader(name);
    handler.serve(request, ws);
  }

  static String websocketAccept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder()
          .encodeToString(sha1.digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> match(String[] pattern, String path) {
    String[] segments = path.substring(path.startsWith("/") ? 1 : 0).split("/", -1);
    if (segments.length != pattern.length) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < pattern.length; i++) {
      String p = pattern[i];
      if (p.startsWith("{") && p.endsWith("}")) {
        if (segments[i].isEmpty()) {
          return null;
        }
        params.put(p.substring(1, p.length() - 1), segments[i]);
      } else if (!p.equals(segments[i])) {
        return null;
      }
    }
    return params;
  }

  private static void write(OutputStream out, HttpResponse response, boolean keepAlive)
      throws IOException {
    String head =
        "HTTP/1.1 "
            + response.status()
            + " "
            + reason(response.status())
            + "\r\nContent-Type: "
            + response.contentType()
            + "\r\nContent-Length: "
            + response.body().length
            + (keepAlive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    // one write: head and body leave in the same segment
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] message = new byte[headBytes.length + response.body().length];
    System.arraycopy(headBytes, 0, message, 0, headBytes.length);
    System.arraycopy(response.body(), 0, message, headBytes.length, response.body().length);
    out.write(message);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Request Entity Too Large";
      case 500 -> "Internal Server Error";
      default -> "Status";
    };
  }

  private static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    int total = 0;
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) {
      total += line.length();
      if (total > MAX_HEADER_BYTES) {
        throw new IOException("request headers too large");
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    return headers;
  }

  private static InputStream bodyStream(InputStream in, Map<String, String> headers)
      throws IOException {
    String encoding = headers.get("transfer-encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return new ChunkedInputStream(in);
    }
    String length = headers.get("content-length");
    long n;
    try {
      n = length == null ? 0 : Long.parseLong(length);
    } catch (NumberFormatException e) {
      throw new IOException("bad Content-Length");
    }
    return new BoundedInputStream(in, n);
  }

  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        break;
      }
      if (line.size() > MAX_HEADER_BYTES) {
        throw new IOException("header line too long");
      }
      line.write(c);
    }
    if (c == -1 && line.size() == 0) {
      return null;
    }
    String s = line.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInputStream(InputStream in, long length) {
      this.in = in;
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int c = in.read();
      if (c < 0) {
        throw new EOFException("request body ended early");
      }
      remaining--;
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("request body ended early");
      }
      remaining -= n;
      return n;
    }
  }

  private static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private long chunkRemaining;
    private boolean done;

    ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    private boolean nextChunk() throws IOException {
      if (done) {
        return false;
      }
      if (chunkRemaining == 0) {
        String sizeLine = readLine(in);
        if (sizeLine == null) {
          throw new EOFException("chunked body ended early");
        }
        if (sizeLine.isEmpty()) {
          sizeLine = readLine(in);
        }
        int semicolon = sizeLine.indexOf(';');
        String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
        try {
          chunkRemaining = Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
          throw new IOException("bad chunk size");
        }
        if (chunkRemaining == 0) {
          String trailer;
          while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
            // trailers carry nothing the agent needs
          }
          done = true;
          return false;
        }
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!nextChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
      if (n < 0) {
        throw new EOFException("chunked body ended early");
      }
      chunkRemaining -= n;
      if (chunkRemaining == 0) {
        readLine(in);
      }
      return n;
    }
  }
}
