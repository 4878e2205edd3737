package ai.dstack.server.settings;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where the state lives. Accepts upstream's SQLAlchemy forms ({@code
 * postgresql+asyncpg://u:p@h/db}, {@code sqlite+aiosqlite:///path}), plain {@code postgresql://…}
 * and JDBC URLs.
 */
public record DatabaseUrl(Dialect dialect, String jdbcUrl, String user, String password) {

  public enum Dialect {
    SQLITE,
    POSTGRESQL
  }

  public static DatabaseUrl sqlite(Path file) {
    return new DatabaseUrl(Dialect.SQLITE, "jdbc:sqlite:" + file.toAbsolutePath(), null, null);
  }

  public static DatabaseUrl parse(String url) {
    String trimmed = url.trim();
    if (trimmed.startsWith("jdbc:postgresql:")) {
      return new DatabaseUrl(Dialect.POSTGRESQL, trimmed, null, null);
    }
    if (trimmed.startsWith("jdbc:sqlite:")) {
      return new DatabaseUrl(Dialect.SQLITE, trimmed, null, null);
    }
    int schemeEnd = trimmed.indexOf("://");
    if (schemeEnd < 0) {
      throw invalid(url, "no scheme");
    }
    String scheme = trimmed.substring(0, schemeEnd);
    String driverless = scheme.contains("+") ? scheme.substring(0, scheme.indexOf('+')) : scheme;
    if (driverless.equals("sqlite")) {
      // sqlite:///relative or sqlite:////absolute, as SQLAlchemy
      return sqlite(Path.of(trimmed.substring(schemeEnd + 4)));
    }
    if (!driverless.equals("postgresql") && !driverless.equals("postgres")) {
      throw invalid(url, "only postgresql and sqlite are supported");
    }
    URI uri;
    try {
      uri = URI.create("postgresql" + trimmed.substring(schemeEnd));
    } catch (IllegalArgumentException e) {
      throw invalid(url, e.getMessage());
    }
    if (uri.getHost() == null) {
      throw invalid(url, "no host");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new DatabaseUrl(Dialect.POSTGRESQL, jdbc.toString(), user, password);
  }

  /** The URL without credentials, safe to log. */
  public String display() {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  private static InvalidSettingException invalid(String url, String why) {
    String shown = url.replaceAll("//([^:/@]+):[^@]*@", "//$1:***@");
    return new InvalidSettingException("DSTACK_DATABASE_URL '" + shown + "' is invalid: " + why);
  }
}
