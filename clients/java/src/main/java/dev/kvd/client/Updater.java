package dev.kvd.client;

import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;

/**
 * The retry loop of {@link Store#update} and {@link Store#updateAsync}, over
 * the reads and writes it needs ({@link Ops}, {@link AsyncOps}) and with its
 * wait and random source injectable, so that its unit test
 * (UpdaterTest) needs no server and never sleeps.
 *
 * <p>The semantics are clients/SCENARIO.md's, the same in every client: read
 * the key with its revision; call fn with the value (null if absent); write
 * fn's result on the condition that the revision is still the one read
 * (if absent: that it is still absent). On {@link ConditionFailedException}
 * wait a full-jitter backoff (uniform in [0, cap), the cap doubling from 10 ms
 * to at most 1 s) and try again, at most maxAttempts times in all; then throw
 * the last ConditionFailedException. Any other exception, or one from fn,
 * ends it at once.
 */
final class Updater {
  static final int DEFAULT_MAX_ATTEMPTS = 10;
  static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The blocking calls one attempt makes. */
  interface Ops {
    /** The key's entry; not {@link Entry#found()} if absent. */
    Entry read(String key);

    /** Writes if the key's revision is {@code ifRevision} (0: absent); its revision. */
    long write(String key, byte[] value, long ifRevision);
  }

  /** The same calls as futures. */
  interface AsyncOps {
    CompletableFuture<Entry> read(String key);

    CompletableFuture<Long> write(String key, byte[] value, long ifRevision);
  }

  /** Waits; may be interrupted. */
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  /** A future that completes after a delay (never exceptionally). */
  interface Delayer {
    CompletableFuture<Void> after(long nanos);
  }

  static final Sleeper REAL_SLEEP = nanos -> TimeUnit.NANOSECONDS.sleep(nanos);
  static final Delayer REAL_DELAY = nanos -> {
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(() -> done.complete(null));
    return done;
  };
  static final DoubleSupplier REAL_RANDOM = () -> ThreadLocalRandom.current().nextDouble();

  private final String store;
  private final int maxAttempts;
  private final DoubleSupplier random;

  /**
   * @param store the store's name, for messages
   * @param random numbers in [0, 1)
   * @throws IllegalArgumentException if {@code maxAttempts} is below 1
   */
  Updater(String store, int maxAttempts, DoubleSupplier random) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("update: maxAttempts must be at least 1, got "
          + maxAttempts);
    }
    this.store = store;
    this.maxAttempts = maxAttempts;
    this.random = random;
  }

  /**
   * The wait before retry {@code n} (1: after the first attempt): random()
   * times the cap, 10 ms doubled n - 1 times, at most 1 s.
   */
  static long backoffNanos(int n, DoubleSupplier random) {
    long cap = FIRST_BACKOFF_NANOS;
    for (int i = 1; i < n && cap < MAX_BACKOFF_NANOS; i++) {
      cap *= 2;
    }
    return (long) (random.getAsDouble() * Math.min(cap, MAX_BACKOFF_NANOS));
  }

  /** The blocking update; returns the revision written. */
  long run(Ops ops, Sleeper sleeper, String key, UnaryOperator<byte[]> fn) {
    for (int attempt = 1; ; attempt++) {
      try {
        Entry e = ops.read(key);
        return ops.write(key, apply(fn, key, e), e.found() ? e.revision() : 0);
      } catch (ConditionFailedException e) {
        if (attempt >= maxAttempts) {
          throw e;
        }
      }
      try {
        sleeper.sleep(backoffNanos(attempt, random));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KvException(KvErrorCode.UNSPECIFIED, Status.Code.CANCELLED,
            "update of key \"" + key + "\" in store \"" + store
                + "\": interrupted while waiting to retry after attempt " + attempt, e);
      }
    }
  }

  /**
   * The asynchronous update: a future of the revision written, completed
   * with the exception that ended it (unwrapped). Cancelling it cancels the
   * call in flight and stops the retries.
   */
  CompletableFuture<Long> runAsync(AsyncOps ops, Delayer delayer, String key,
      UnaryOperator<byte[]> fn) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    AtomicReference<CompletableFuture<?>> inFlight = new AtomicReference<>();
    result.whenComplete((r, e) -> {
      CompletableFuture<?> call = inFlight.get();
      if (result.isCancelled() && call != null) {
        call.cancel(false);
      }
    });
    attemptAsync(1, ops, delayer, key, fn, result, inFlight);
    return result;
  }

  private void attemptAsync(int attempt, AsyncOps ops, Delayer delayer, String key,
      UnaryOperator<byte[]> fn, CompletableFuture<Long> result,
      AtomicReference<CompletableFuture<?>> inFlight) {
    if (result.isDone()) { // cancelled while waiting
      return;
    }
    CompletableFuture<Entry> read = ops.read(key);
    inFlight.set(read);
    read.thenCompose(e -> {
      CompletableFuture<Long> write =
          ops.write(key, apply(fn, key, e), e.found() ? e.revision() : 0);
      inFlight.set(write);
      return write;
    }).whenComplete((revision, failure) -> {
      if (failure == null) {
        result.complete(revision);
        return;
      }
      Throwable cause = unwrap(failure);
      if (!(cause instanceof ConditionFailedException) || attempt >= maxAttempts) {
        result.completeExceptionally(cause);
        return;
      }
      CompletableFuture<Void> wait = delayer.after(backoffNanos(attempt, random));
      inFlight.set(wait);
      wait.thenRun(() -> attemptAsync(attempt + 1, ops, delayer, key, fn, result, inFlight));
    });
  }

  /** fn's value for entry e; fn gets null for an absent key and must not return null. */
  private byte[] apply(UnaryOperator<byte[]> fn, String key, Entry e) {
    byte[] next = fn.apply(e.found() ? e.value() : null);
    return Objects.requireNonNull(next, () -> "update of key \"" + key + "\" in store \""
        + store + "\": the update function returned null");
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
