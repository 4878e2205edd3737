package ai.dstack.server.proxy.control;

import ai.dstack.server.proxy.control.ProxyHeaders.Header;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One request to a replica: HTTP/1.1 on a new connection to a local port (a forward to the
 * replica's host), both bodies streamed through a small buffer. The connection is not reused, so
 * the replica's answer ends at its framing or when it closes.
 */
public final class ReplicaExchange {
  private static final int BUFFER = 16 * 1024;
  private static final int MAX_HEAD = 64 * 1024;
  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
  private static final byte[] CRLF = {'\r', '\n'};

  /**
   * The replica could not be reached, or closed the connection before answering, and the request
   * can still go to another replica.
   */
  public static final class Unreachable extends Exception {
    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param target the path and query, as sent on the request line
   * @param headers the client's headers to pass on (framing and hop-by-hop ones already dropped)
   */
  public record Request(String method, String target, List<Header> headers, RequestBody body) {}

  /** Where the replica's answer goes. */
  public interface Sink {
    /** The status and the headers to answer with, once; returns where the body goes. */
    OutputStream head(int status, List<Header> headers) throws IOException;
  }

  private record Head(int status, List<Header> headers) {}

  private final int timeoutMillis;

  /**
   * @param timeout for connecting and for each read (as httpx's timeout); zero waits forever
   */
  public ReplicaExchange(Duration timeout) {
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }

  /**
   * Sends the request to {@code 127.0.0.1:port} and streams the answer to the sink.
   *
   * @throws Unreachable nothing was answered and the request can be sent again elsewhere
   * @throws ProxyException nothing was answered and the request cannot be retried (502), or the
   *     replica did not answer in time (504)
   * @throws IOException after the answer started: the client's answer is cut off
   */
  public void send(int port, Request request, Sink sink) throws Unreachable, IOException {
    try (Socket socket = new Socket()) {
      Head head;
      InputStream in;
      try {
        socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        socket.setTcpNoDelay(true);
        writeRequest(socket.getOutputStream(), request, port);
        in = new BufferedInputStream(socket.getInputStream(), BUFFER);
        head = readHead(in);
        while (head.status() >= 100 && head.status() < 200 && head.status() != 101) {
          head = readHead(in); // interim answers stay here
        }
      } catch (RequestBody.ClientGone e) {
        throw e;
      } catch (SocketTimeoutException e) {
        throw ProxyException.gatewayTimeout();
      } catch (IOException e) {
        if (request.body().replayable()) {
          throw new Unreachable(e.getMessage(), e);
        }
        throw ProxyException.badGateway();
      }
      answer(request.method(), head, in, sink);
    }
  }

  private static void writeRequest(OutputStream socketOut, Request request, int port)
      throws IOException {
    OutputStream out = new BufferedOutputStream(socketOut, BUFFER);
    StringBuilder head = new StringBuilder();
    head.append(request.method()).append(' ').append(request.target()).append(" HTTP/1.1\r\n");
    if (ProxyHeaders.first(request.headers(), "Host") == null) {
      head.append("Host: 127.0.0.1:").append(port).append("\r\n");
    }
    for (Header header : request.headers()) {
      head.append(header.name()).append(": ").append(header.value()).append("\r\n");
    }
    long length = request.body().length();
    boolean chunked = length < 0;
    if (chunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    } else if (length > 0 || BODY_METHODS.contains(request.method())) {
      head.append("Content-Length: ").append(length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (length != 0) {
      InputStream body = request.body().open();
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = body.read(buffer)) >= 0) {
        if (n == 0) {
          continue;
        }
        if (chunked) {
          out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write(buffer, 0, n);
        if (chunked) {
          out.write(CRLF);
        }
      }
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    out.flush();
  }

  private static void answer(String method, Head head, InputStream in, Sink sink)
      throws IOException {
    int status = head.status();
    String transferEncoding = ProxyHeaders.first(head.headers(), "Transfer-Encoding");
    String contentLength = ProxyHeaders.first(head.headers(), "Content-Length");
    boolean noBody =
        method.equals("HEAD") || status == 204 || status == 304 || (status >= 100 && status < 200);
    boolean chunked =
        !noBody
            && transferEncoding != null
            && transferEncoding.toLowerCase(Locale.ROOT).strip().endsWith("chunked");
    long length = -1;
    if (!chunked && contentLength != null) {
      try {
        length = Long.parseLong(contentLength.strip());
      } catch (NumberFormatException e) {
        throw ProxyException.badGateway();
      }
    }
    List<Header> headers = new ArrayList<>(ProxyHeaders.response(head.headers()));
    if (length >= 0) {
      headers.add(new Header("Content-Length", Long.toString(length)));
    }
    OutputStream out = sink.head(status, headers);
    if (noBody) {
      return;
    }
    byte[] buffer = new byte[BUFFER];
    if (chunked) {
      long size;
      while ((size = chunkSize(readLine(in))) > 0) {
        copy(in, out, size, buffer);
        readLine(in);
      }
      while (!readLine(in).isEmpty()) {
        // trailers are not passed on
      }
    } else {
      copy(in, out, length, buffer);
    }
    out.flush();
  }

  /** Copies {@code count} bytes, or everything up to the end when negative, flushing when idle. */
  private static void copy(InputStream in, OutputStream out, long count, byte[] buffer)
      throws IOException {
    long left = count;
    while (count < 0 || left > 0) {
      int n = in.read(buffer, 0, count < 0 ? buffer.length : (int) Math.min(buffer.length, left));
      if (n < 0) {
        if (count < 0) {
          return;
        }
        throw new EOFException("the replica closed the connection " + left + " bytes early");
      }
      out.write(buffer, 0, n);
      left -= n;
      if (in.available() == 0) {
        out.flush(); // a streamed answer (server-sent events, tokens) reaches the client at once
      }
    }
  }

  private static long chunkSize(String line) throws IOException {
    int end = line.indexOf(';');
    try {
      return Long.parseLong((end < 0 ? line : line.substring(0, end)).strip(), 16);
    } catch (NumberFormatException e) {
      throw new IOException("bad chunk size line from the replica: " + line);
    }
  }

  private static Head readHead(InputStream in) throws IOException {
    String statusLine = readLine(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw ProxyException.badGateway();
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw ProxyException.badGateway();
    }
    List<Header> headers = new ArrayList<>();
    int size = statusLine.length();
    String line;
    while (!(line = readLine(in)).isEmpty()) {
      size += line.length();
      int colon = line.indexOf(':');
      if (size > MAX_HEAD || colon <= 0) {
        throw ProxyException.badGateway();
      }
      headers.add(new Header(line.substring(0, colon).strip(), line.substring(colon + 1).strip()));
    }
    return new Head(status, headers);
  }

  /** One line without its CR LF; EOF before its end is an error. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new EOFException("the replica closed the connection");
      }
      if (line.size() >= MAX_HEAD) {
        throw ProxyException.badGateway();
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }
}
