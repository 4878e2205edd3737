package ai.dstack.server.db;

import org.eclipse.persistence.platform.database.H2Platform;
import org.eclipse.persistence.queries.ValueReadQuery;

/**
 * EclipseLink has no SQLite platform. H2's already prints {@code LIMIT ? OFFSET ?}, which SQLite
 * accepts; only public API is overridden so the class survives EclipseLink upgrades.
 */
public class SQLitePlatform extends H2Platform {
  @Override
  public boolean supportsSequenceObjects() {
    return false;
  }

  @Override
  public boolean supportsGlobalTempTables() {
    return false;
  }

  @Override
  public String getSelectForUpdateString() {
    // SQLite has no row locks: writers are serialised by Database instead
    return "";
  }

  @Override
  public ValueReadQuery getTimestampQuery() {
    return new ValueReadQuery("SELECT CURRENT_TIMESTAMP");
  }

  @Override
  public boolean isH2() {
    return false;
  }
}
