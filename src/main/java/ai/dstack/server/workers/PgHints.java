package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Fetch hints across replicas (upstream only wakes its own process): {@code NOTIFY} on a channel
 * every replica {@code LISTEN}s to on a connection of its own.
 */
final class PgHints {
  private static final Logger log = Logger.getLogger(PgHints.class.getName());
  static final String CHANNEL = "dstack_pipeline_hints";

  private final Database db;
  private final Consumer<String> onHint;
  private volatile boolean running = true;
  private volatile Connection listening;
  private Thread thread;

  PgHints(Database db, Consumer<String> onHint) {
    this.db = db;
    this.onHint = onHint;
  }

  void start(ThreadFactory threads) {
    thread = threads.newThread(this::listenLoop);
    thread.setName("dstack-pipelines-hints");
    thread.setDaemon(true);
    thread.start();
  }

  void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
    closeQuietly(listening);
  }

  void send(String pipeline) {
    try {
      db.txRun(
          em ->
              em.createNativeQuery("SELECT pg_notify(?, ?)")
                  .setParameter(1, CHANNEL)
                  .setParameter(2, pipeline)
                  .getSingleResult());
    } catch (RuntimeException e) {
      // the hint is an optimisation: other replicas still fetch on their own schedule
      log.fine(() -> "Could not notify other replicas: " + e);
    }
  }

  private void listenLoop() {
    while (running) {
      try (Connection connection = db.openDedicatedConnection()) {
        listening = connection;
        try (Statement st = connection.createStatement()) {
          st.execute("LISTEN " + CHANNEL);
        }
        PGConnection pg = connection.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] notifications = pg.getNotifications(1000);
          if (notifications != null) {
            for (PGNotification notification : notifications) {
              onHint.accept(notification.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        if (!running) {
          return;
        }
        log.warning("Listening for pipeline hints failed, retrying in 5 s: " + e.getMessage());
        try {
          Thread.sleep(5000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private static void closeQuietly(Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // closing on shutdown: nothing to do
      }
    }
  }
}
