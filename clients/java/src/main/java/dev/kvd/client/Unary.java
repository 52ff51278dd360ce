package dev.kvd.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One asynchronous unary call as a {@link CompletableFuture}: completes with
 * {@code map} of the response, or exceptionally with the call's
 * {@link KvException} (never wrapped). Cancelling the future cancels the RPC.
 * A result that arrives after the future was cancelled goes to
 * {@code discard} (so an opened handle is closed, not leaked); a failed RPC
 * (cancelled ones included) runs {@code failed}, either may be null.
 *
 * <p>The future completes on gRPC's callback thread: dependent stages
 * without an executor of their own run there.
 */
final class Unary<T, R> implements ClientResponseObserver<Object, T> {
  final CompletableFuture<R> future = new CompletableFuture<>();
  private final Function<T, R> map;
  private final Consumer<R> discard;
  private final Runnable failed;
  private final String address;
  private final Duration timeout;
  private T response;

  Unary(Function<T, R> map, String address, Duration timeout) {
    this(map, null, null, address, timeout);
  }

  Unary(Function<T, R> map, Consumer<R> discard, Runnable failed, String address,
      Duration timeout) {
    this.map = map;
    this.discard = discard;
    this.failed = failed;
    this.address = address;
    this.timeout = timeout;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<Object> call) {
    future.whenComplete((r, e) -> {
      if (future.isCancelled()) {
        call.cancel("cancelled by the caller", null);
      }
    });
  }

  @Override
  public void onNext(T value) {
    response = value;
  }

  @Override
  public void onError(Throwable t) {
    future.completeExceptionally(KvException.fromGrpc(t, address, timeout));
    if (failed != null) {
      failed.run();
    }
  }

  @Override
  public void onCompleted() {
    R result;
    try {
      result = map.apply(response);
    } catch (RuntimeException e) { // getJson's decoding: a KvIoException
      future.completeExceptionally(e);
      return;
    }
    if (!future.complete(result) && discard != null) {
      discard.accept(result);
    }
  }
}
