package ai.dstack.server.files.boundary;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Upload;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.files.control.FileArchives;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.io.InputStream;
import java.util.List;

/** /api/files/*: a user's own file archives, for any authenticated user (API.md §2.6). */
@Path("files")
@Produces(MediaType.APPLICATION_JSON)
public class FilesResource {
  @Inject private CallContext call;
  @Inject private ServerContext server;
  @Inject private FileArchives archives;

  /** Upstream's {@code FileArchive}. */
  @JsonbPropertyOrder({"id", "hash"})
  public record FileArchive(String id, String hash) {}

  /** The CLI's multipart upload; the body is read here, never as JSON by the request filter. */
  @POST
  @Path("upload_archive")
  @NoRequestBody
  public FileArchive uploadArchive(@Context HttpHeaders headers, InputStream body) {
    Upload.File file =
        Upload.read(
            headers,
            body,
            server.settings().runs().codeUploadLimit(),
            Upload.Kind.ARCHIVE,
            List.of());
    String id = archives.upload(call.user(), file.filename(), file.content());
    return new FileArchive(id, file.filename());
  }

  @POST
  @Path("get_archive_by_hash")
  public FileArchive getArchiveByHash() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String hash = in.string("hash");
    in.validate();
    String id = archives.idByHash(call.user(), hash);
    if (id == null) {
      throw ApiException.resourceNotExists();
    }
    return new FileArchive(id, hash);
  }
}
