package ai.dstack.server.crypto.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.crypto.EncryptionKey;
import ai.dstack.server.crypto.EncryptionKeys;
import ai.dstack.server.crypto.Reencryption;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * Beyond upstream: which keys stored values are under, and re-encryption of everything with the
 * current first key, so an old key can be dropped from config.yml (global admins only).
 */
@Path("server/encryption")
@Produces(MediaType.APPLICATION_JSON)
public class EncryptionResource {
  @Inject private CallContext call;
  @Inject private Reencryption reencryption;

  @JsonbPropertyOrder({"currentKey", "configuredKeys", "columns", "keysInUse", "removableKeys"})
  public record Status(
      String currentKey,
      List<String> configuredKeys,
      List<Reencryption.ColumnKeys> columns,
      List<String> keysInUse,
      List<String> removableKeys) {}

  @JsonbPropertyOrder({"currentKey", "columns", "keysInUse", "removableKeys"})
  public record ReencryptResult(
      String currentKey,
      List<Reencryption.ColumnResult> columns,
      List<String> keysInUse,
      List<String> removableKeys) {}

  @POST
  @Path("status")
  @NoRequestBody
  public Status status() {
    call.globalAdmin();
    List<Reencryption.ColumnKeys> columns = reencryption.keysInUse();
    List<String> inUse = Reencryption.distinctKeys(columns);
    EncryptionKeys keys = EncryptionKeys.current();
    return new Status(
        keys.writeKey().id(),
        keys.keys().stream().map(EncryptionKey::id).toList(),
        columns,
        inUse,
        Reencryption.removableKeys(inUse));
  }

  @POST
  @Path("reencrypt")
  public ReencryptResult reencrypt() {
    call.globalAdmin();
    JsonInput in = JsonInput.optionalBody(call.body());
    int batchSize = in.integer("batch_size", 500, 1, 10_000);
    Integer maxRows = in.has("max_rows") ? in.integer("max_rows", 0, 1, null) : null;
    in.validate();
    Reencryption.Result result;
    try {
      result = reencryption.run(batchSize, maxRows == null ? null : maxRows.longValue());
    } catch (IllegalStateException e) {
      throw ApiException.error(e.getMessage());
    }
    return new ReencryptResult(
        result.key(),
        result.columns(),
        result.keysInUse(),
        Reencryption.removableKeys(result.keysInUse()));
  }
}
