package ai.dstack.server.crypto;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.KeyPair;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Key pairs for new users and projects, generated ahead of need: creating a user or a project then
 * takes milliseconds instead of the quarter second an RSA-2048 pair costs. A handful are kept; the
 * pool refills in the background after each take (it starts empty, so an idle server spends no CPU
 * on it).
 */
@ApplicationScoped
public class SshKeyPool {
  private static final int SIZE = 4;

  @Resource private ManagedExecutorService executor;
  private final BlockingQueue<KeyPair> ready = new ArrayBlockingQueue<>(SIZE);
  private final AtomicBoolean refilling = new AtomicBoolean();

  public SshKeys.SshKeyPair take(String comment) {
    KeyPair pair = ready.poll();
    refill();
    return SshKeys.format(pair != null ? pair : SshKeys.newRsaPair(), comment);
  }

  private void refill() {
    if (refilling.compareAndSet(false, true)) {
      executor.execute(
          () -> {
            try {
              while (ready.remainingCapacity() > 0) {
                ready.offer(SshKeys.newRsaPair());
              }
            } finally {
              refilling.set(false);
            }
          });
    }
  }
}
