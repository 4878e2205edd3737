package ai.dstack.agent.ssh;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Optional;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PrivateKeyEntryDecoder;
import org.apache.sshd.common.config.keys.PublicKeyEntryDecoder;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.security.SecurityProviderRegistrar;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.common.util.security.eddsa.generic.EdDSASupport;
import org.apache.sshd.common.util.security.eddsa.generic.EdDSAUtils;
import org.apache.sshd.common.util.security.eddsa.generic.GenericEd25519PublicKeyDecoder;
import org.apache.sshd.common.util.security.eddsa.generic.GenericOpenSSHEd25519PrivateKeyEntryDecoder;
import org.apache.sshd.common.util.security.eddsa.generic.GenericSignatureEd25519;

/**
 * ssh-ed25519 client keys through the JDK's own EdDSA (Java 15+). MINA 2.x handles ed25519 only
 * with net.i2p or Bouncy Castle, which the agent does not ship, and would refuse the most common
 * user key type. The server only decodes and verifies public keys; ed25519 private keys cannot be
 * read (that needs deriving the public key from the private one, which the JDK cannot do).
 */
final class JdkEd25519 implements EdDSASupport<EdECPublicKey, EdECPrivateKey> {

  /**
   * Makes MINA use it; idempotent. Must precede setting up a server: the signature algorithms a
   * server offers are fixed then.
   */
  static void install() {
    SecurityUtils.registerSecurityProvider(new Registrar());
    // KeyUtils registers its key decoders once, in its static initializer, which may have run
    // before: the ed25519 decoder is registered again (the registration replaces any other).
    KeyUtils.registerPublicKeyEntryDecoder(SecurityUtils.getEDDSAPublicKeyEntryDecoder());
  }

  /**
   * Offers this EdDSA support to MINA, and no algorithm of its own: the JDK's default providers
   * serve the key factory and signature it asks for.
   */
  private static final class Registrar implements SecurityProviderRegistrar {
    @Override
    public String getName() {
      return "JdkEd25519";
    }

    @Override
    public String getProviderName() {
      return "SunEC";
    }

    @Override
    public Provider getSecurityProvider() {
      return Security.getProvider(getProviderName());
    }

    @Override
    public boolean isNamedProviderUsed() {
      return false;
    }

    @Override
    public boolean isSupported() {
      return getSecurityProvider() != null;
    }

    @Override
    public boolean isSecurityEntitySupported(Class<?> entityType, String name) {
      return false;
    }

    @Override
    public Optional<EdDSASupport<?, ?>> getEdDSASupport() {
      return Optional.of(new JdkEd25519());
    }
  }

  @Override
  public PublicKeyEntryDecoder<EdECPublicKey, EdECPrivateKey> getEDDSAPublicKeyEntryDecoder() {
    return new GenericEd25519PublicKeyDecoder<>(EdECPublicKey.class, EdECPrivateKey.class, this);
  }

  // MINA registers it at start-up; it fails on a key, in recoverEDDSAPublicKey.
  @Override
  public PrivateKeyEntryDecoder<EdECPublicKey, EdECPrivateKey>
      getOpenSSHEDDSAPrivateKeyEntryDecoder() {
    return new GenericOpenSSHEd25519PrivateKeyEntryDecoder<>(
        EdECPublicKey.class, EdECPrivateKey.class, this);
  }

  @Override
  public Signature getEDDSASigner() {
    return new GenericSignatureEd25519(SecurityUtils.EDDSA);
  }

  @Override
  public int getEDDSAKeySize(Key key) {
    return key instanceof EdECKey ? KEY_SIZE : -1;
  }

  @Override
  public Class<EdECPublicKey> getEDDSAPublicKeyType() {
    return EdECPublicKey.class;
  }

  @Override
  public Class<EdECPrivateKey> getEDDSAPrivateKeyType() {
    return EdECPrivateKey.class;
  }

  @Override
  public boolean compareEDDSAPPublicKeys(PublicKey k1, PublicKey k2) {
    return k1 instanceof EdECPublicKey
        && k2 instanceof EdECPublicKey
        && Arrays.equals(k1.getEncoded(), k2.getEncoded());
  }

  @Override
  public boolean compareEDDSAPrivateKeys(PrivateKey k1, PrivateKey k2) {
    return k1 instanceof EdECPrivateKey
        && k2 instanceof EdECPrivateKey
        && Arrays.equals(k1.getEncoded(), k2.getEncoded());
  }

  @Override
  public EdECPublicKey recoverEDDSAPublicKey(PrivateKey key) throws GeneralSecurityException {
    throw new InvalidKeyException("the JDK cannot derive an ed25519 public key");
  }

  @Override
  public EdECPublicKey generateEDDSAPublicKey(byte[] seed) throws GeneralSecurityException {
    return (EdECPublicKey)
        KeyFactory.getInstance(getKeyFactoryAlgorithm())
            .generatePublic(EdDSAUtils.createPublicKeySpec(seed));
  }

  @Override
  public EdECPrivateKey generateEDDSAPrivateKey(byte[] seed) throws GeneralSecurityException {
    return (EdECPrivateKey)
        KeyFactory.getInstance(getKeyFactoryAlgorithm())
            .generatePrivate(EdDSAUtils.createPrivateKeySpec(seed));
  }

  @Override
  public <B extends Buffer> B putRawEDDSAPublicKey(B buffer, PublicKey key) {
    try {
      buffer.putBytes(EdDSAUtils.getBytes(key));
      return buffer;
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public <B extends Buffer> B putEDDSAKeyPair(B buffer, PublicKey pubKey, PrivateKey prvKey) {
    throw new UnsupportedOperationException("ed25519 private keys are not supported");
  }

  @Override
  public KeySpec createPublicKeySpec(EdECPublicKey publicKey) {
    return new X509EncodedKeySpec(publicKey.getEncoded());
  }

  @Override
  public KeySpec createPrivateKeySpec(EdECPrivateKey privateKey) {
    return new PKCS8EncodedKeySpec(privateKey.getEncoded());
  }

  @Override
  public byte[] getPublicKeyData(EdECPublicKey publicKey) {
    try {
      return EdDSAUtils.getBytes(publicKey);
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public byte[] getPrivateKeyData(EdECPrivateKey privateKey) throws IOException {
    try {
      return EdDSAUtils.getBytes(privateKey);
    } catch (InvalidKeyException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public String getKeyFactoryAlgorithm() {
    return SecurityUtils.ED25519;
  }
}
