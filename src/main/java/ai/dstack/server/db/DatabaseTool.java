package ai.dstack.server.db;

import ai.dstack.server.settings.DatabaseUrl;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code scripts/dstack-db}: creates our schema on the database of {@code DSTACK_DATABASE_URL}
 * ({@code schema}), or copies a SQLite state into it and checks every table's row count ({@code
 * copy-sqlite [FILE]}) — the migration to PostgreSQL without pgloader.
 */
public final class DatabaseTool {
  private static final String HISTORY = "flyway_schema_history";
  private static final int BATCH = 1000;

  private final PrintStream out;

  DatabaseTool(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    int status;
    try {
      status = new DatabaseTool(System.out).run(List.of(args), System.getenv());
    } catch (ToolException | DatabaseStartupException e) {
      System.err.println("dstack-db: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  static final class ToolException extends RuntimeException {
    ToolException(String message) {
      super(message);
    }
  }

  int run(List<String> args, Map<String, String> env) {
    if (args.isEmpty()
        || args.size() > 2
        || !List.of("schema", "copy-sqlite").contains(args.get(0))) {
      System.err.println(
          "usage: dstack-db schema | copy-sqlite [SQLITE_FILE]   (target: DSTACK_DATABASE_URL)");
      return 2;
    }
    String target = env.get("DSTACK_DATABASE_URL");
    if (target == null || target.isBlank()) {
      throw new ToolException("DSTACK_DATABASE_URL is not set: it names the PostgreSQL database");
    }
    DatabaseUrl to = DatabaseUrl.parse(target);
    if (to.dialect() != Dialect.POSTGRESQL) {
      throw new ToolException("DSTACK_DATABASE_URL must be a PostgreSQL URL, not " + to.display());
    }
    if (args.get(0).equals("schema")) {
      Schema.prepare(to);
      out.println("Schema ready on " + to.display());
      return 0;
    }
    Path file = args.size() == 2 ? Path.of(args.get(1)) : defaultSqliteFile(env);
    if (!Files.isRegularFile(file)) {
      throw new ToolException("no SQLite database at " + file);
    }
    copy(DatabaseUrl.sqlite(file), to);
    return 0;
  }

  private static Path defaultSqliteFile(Map<String, String> env) {
    String dir = env.get("DSTACK_SERVER_DIR");
    Path serverDir =
        dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".dstack", "server");
    return serverDir.resolve("data").resolve("sqlite.db");
  }

  void copy(DatabaseUrl from, DatabaseUrl to) {
    out.println("Copying " + from.display() + " to " + to.display());
    // both at the newest schema, as the server would make them when it starts
    Schema.prepare(from);
    Schema.prepare(to);
    try (Connection source = Schema.connect(from);
        Connection target = Schema.connect(to)) {
      List<String> tables = tablesInForeignKeyOrder(target);
      for (String table : tables) {
        if (count(target, table) > 0) {
          throw new ToolException(
              "the target is not empty (table " + table + " has rows): copy into a new database");
        }
      }
      target.setAutoCommit(false);
      for (String table : tables) {
        long rows = copyTable(source, target, table);
        out.printf("  %-28s %,d rows%n", table, rows);
      }
      target.commit();
      verify(source, target, tables);
    } catch (SQLException e) {
      throw new ToolException("the copy failed, nothing was kept: " + e.getMessage());
    }
  }

  /** Referenced tables before the tables that reference them. */
  private static List<String> tablesInForeignKeyOrder(Connection target) throws SQLException {
    Map<String, Set<String>> references = new LinkedHashMap<>();
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                    + " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")) {
      while (rs.next()) {
        if (!rs.getString(1).equals(HISTORY)) {
          references.put(rs.getString(1), new LinkedHashSet<>());
        }
      }
    }
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT child.relname, parent.relname FROM pg_constraint c"
                    + " JOIN pg_class child ON child.oid = c.conrelid"
                    + " JOIN pg_class parent ON parent.oid = c.confrelid"
                    + " WHERE c.contype = 'f' AND child.relnamespace = current_schema()::regnamespace")) {
      while (rs.next()) {
        if (!rs.getString(1).equals(rs.getString(2)) && references.containsKey(rs.getString(1))) {
          references.get(rs.getString(1)).add(rs.getString(2));
        }
      }
    }
    List<String> ordered = new ArrayList<>();
    while (ordered.size() < references.size()) {
      int before = ordered.size();
      for (var entry : references.entrySet()) {
        if (!ordered.contains(entry.getKey()) && ordered.containsAll(entry.getValue())) {
          ordered.add(entry.getKey());
        }
      }
      if (ordered.size() == before) {
        throw new ToolException("the foreign keys of the schema form a cycle");
      }
    }
    return ordered;
  }

  private static long copyTable(Connection source, Connection target, String table)
      throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    try (PreparedStatement st =
        target.prepareStatement(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema ="
                + " current_schema() AND table_name = ? ORDER BY ordinal_position")) {
      st.setString(1, table);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    List<String> columns = new ArrayList<>(types.keySet());
    StringBuilder insert = new StringBuilder("INSERT INTO " + table + " (");
    insert.append(String.join(", ", columns)).append(") VALUES (");
    for (int i = 0; i < columns.size(); i++) {
      String type = types.get(columns.get(i));
      // SQLite holds text and 0/1: PostgreSQL turns them into uuid, timestamptz, boolean, …
      insert
          .append(i == 0 ? "" : ", ")
          .append(type.equals("bytea") ? "?" : "CAST(? AS " + type + ")");
    }
    insert.append(")");
    long rows = 0;
    try (Statement read = source.createStatement();
        ResultSet rs =
            read.executeQuery("SELECT " + String.join(", ", columns) + " FROM " + table);
        PreparedStatement write = target.prepareStatement(insert.toString())) {
      while (rs.next()) {
        for (int i = 0; i < columns.size(); i++) {
          String type = types.get(columns.get(i));
          if (type.equals("bytea")) {
            write.setBytes(i + 1, rs.getBytes(i + 1));
          } else {
            Object value = rs.getObject(i + 1);
            String text = value == null ? null : value.toString();
            if (type.equals("boolean") && text != null) {
              text = text.equals("0") ? "false" : text.equals("1") ? "true" : text;
            }
            write.setString(i + 1, text);
          }
        }
        write.addBatch();
        if (++rows % BATCH == 0) {
          write.executeBatch();
          System.err.printf("  %s: %,d rows…%n", table, rows);
        }
      }
      write.executeBatch();
    }
    return rows;
  }

  private void verify(Connection source, Connection target, List<String> tables)
      throws SQLException {
    List<String> different = new ArrayList<>();
    long total = 0;
    for (String table : tables) {
      long expected = count(source, table);
      long copied = count(target, table);
      total += copied;
      if (expected != copied) {
        different.add(table + " (" + expected + " in SQLite, " + copied + " in PostgreSQL)");
      }
    }
    if (!different.isEmpty()) {
      throw new ToolException("row counts differ: " + String.join(", ", different));
    }
    out.printf(
        "Verified: all %d tables have the same row counts (%,d rows).%n", tables.size(), total);
  }

  private static long count(Connection connection, String table) throws SQLException {
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
