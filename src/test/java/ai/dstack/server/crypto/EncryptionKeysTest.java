package ai.dstack.server.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncryptionKeysTest {
  /** Known answers, some produced by upstream's own AES key class (spec/vectors). */
  private static final Path VECTORS = Path.of("..", "shared", "spec", "vectors", "encryption.json");

  private static JsonObject vectors() throws IOException {
    try (JsonReader reader = Json.createReader(Files.newBufferedReader(VECTORS))) {
      return reader.readObject();
    }
  }

  private static List<EncryptionKey> vectorKeys(JsonObject vectors) {
    List<EncryptionKey> keys = new ArrayList<>();
    for (JsonValue key : vectors.getJsonArray("keys")) {
      JsonObject k = key.asJsonObject();
      keys.add(AesKey.of(k.getString("name"), k.getString("secret")));
    }
    return keys;
  }

  @Test
  void everyKnownAnswerDecrypts() throws IOException {
    JsonObject vectors = vectors();
    EncryptionKeys keys = new EncryptionKeys(vectorKeys(vectors));
    int cases = 0;
    for (JsonValue item : vectors.getJsonArray("cases")) {
      JsonObject c = item.asJsonObject();
      SecretText value = keys.decrypt(c.getString("stored"));
      assertTrue(value.readable(), c.getString("stored"));
      assertEquals(c.getString("plaintext"), value.plaintext());
      cases++;
    }
    assertEquals(8, cases);
  }

  @Test
  void encryptingWithTheVectorNonceGivesTheStoredText() throws IOException {
    JsonObject vectors = vectors();
    List<EncryptionKey> keys = vectorKeys(vectors);
    int checked = 0;
    for (JsonValue item : vectors.getJsonArray("cases")) {
      JsonObject c = item.asJsonObject();
      if (!c.containsKey("nonce_hex")) {
        continue;
      }
      String[] parts = c.getString("stored").split(":", 4);
      AesKey key = (AesKey) keys.stream().filter(k -> k.name().equals(parts[2])).findFirst().get();
      byte[] nonce = HexFormat.of().parseHex(c.getString("nonce_hex"));
      assertEquals(parts[3], key.encrypt(c.getString("plaintext"), nonce));
      checked++;
    }
    assertEquals(4, checked);
  }

  @Test
  void aTamperedValueIsReportedUndecryptableWithTheKeysTried() throws IOException {
    JsonObject vectors = vectors();
    EncryptionKeys keys = new EncryptionKeys(vectorKeys(vectors));
    for (JsonValue item : vectors.getJsonArray("tamper")) {
      String stored = item.asJsonObject().getString("stored");
      SecretText value = keys.decrypt(stored);
      assertFalse(value.readable());
      assertEquals(stored, value.stored());
      assertEquals(List.of("aes:key1", "aes:key2"), value.keysTried());
      UndecryptableValueException e =
          assertThrows(UndecryptableValueException.class, value::plaintext);
      assertTrue(e.getMessage().contains("aes:key1, aes:key2"), e.getMessage());
    }
  }

  @Test
  void theFirstKeyEncryptsAndOldRowsStillReadAfterRotation() throws IOException {
    List<EncryptionKey> vectorKeys = vectorKeys(vectors());
    EncryptionKeys before = new EncryptionKeys(List.of(vectorKeys.get(0)));
    String oldRow = before.encrypt("token-1");
    assertTrue(oldRow.startsWith("enc:aes:key1:"), oldRow);

    EncryptionKeys rotated = new EncryptionKeys(List.of(vectorKeys.get(1), vectorKeys.get(0)));
    String newRow = rotated.encrypt("token-2");
    assertTrue(newRow.startsWith("enc:aes:key2:"), newRow);
    assertEquals("token-1", rotated.decrypt(oldRow).plaintext());
    assertEquals("token-2", rotated.decrypt(newRow).plaintext());
    assertTrue(newRow.startsWith(rotated.writePrefix()));
    assertFalse(oldRow.startsWith(rotated.writePrefix()));

    EncryptionKeys withoutOld = new EncryptionKeys(List.of(vectorKeys.get(1)));
    assertFalse(withoutOld.decrypt(oldRow).readable());
    assertEquals(List.of("aes:key2"), withoutOld.decrypt(oldRow).keysTried());
  }

  @Test
  void keyNamesAreIgnoredWhenDecrypting() throws IOException {
    List<EncryptionKey> vectorKeys = vectorKeys(vectors());
    String stored = new EncryptionKeys(List.of(vectorKeys.get(0))).encrypt("x");
    String renamed = stored.replace("enc:aes:key1:", "enc:aes:other:");
    assertEquals("x", new EncryptionKeys(vectorKeys).decrypt(renamed).plaintext());
  }

  @Test
  void identityIsAppendedSoPlaintextRowsStayReadable() {
    AesKey key = AesKey.of("k", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    EncryptionKeys keys = new EncryptionKeys(List.of(key));
    assertEquals(2, keys.keys().size());
    assertEquals("plain", keys.decrypt("enc:identity:noname:plain").plaintext());
    assertEquals("a:b", keys.decrypt("enc:identity:noname:a:b").plaintext());
    assertEquals(1, new EncryptionKeys(List.of(new IdentityKey(), key)).keys().size() - 1);
    assertEquals("enc:identity:noname:p", new EncryptionKeys(List.of()).encrypt("p"));
  }

  @Test
  void aesValuesUseAFreshNonceEachTime() {
    EncryptionKeys keys =
        new EncryptionKeys(List.of(AesKey.of("k", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")));
    assertNotEquals(keys.encrypt("same"), keys.encrypt("same"));
  }

  @Test
  void textNotInTheStoredFormatIsUndecryptable() {
    SecretText value = new EncryptionKeys(List.of()).decrypt("legacy-plaintext");
    assertFalse(value.readable());
    assertEquals("legacy-plaintext", value.stored());
  }

  @Test
  void badKeysAreRejectedWithUpstreamsMessages() {
    String valid = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    assertEquals(
        "Key name must be alphanumeric",
        assertThrows(IllegalArgumentException.class, () -> AesKey.of("my-key", valid))
            .getMessage());
    assertEquals(
        "Failed to decode secret from base64",
        assertThrows(IllegalArgumentException.class, () -> AesKey.of("k", "not base64!!"))
            .getMessage());
    assertEquals(
        "AES key must be 32 bytes. Got 16 bytes",
        assertThrows(
                IllegalArgumentException.class, () -> AesKey.of("k", "AAECAwQFBgcICQoLDA0ODw=="))
            .getMessage());
  }
}
