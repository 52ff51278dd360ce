package dev.kvd.client;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The keys of a listing, fetched a page at a time when the caller reaches
 * the page: nothing is fetched before the first {@link #hasNext()} (or
 * {@link #next()}), and the next page only when the current one is used up.
 * Only one page is held at a time. A failed fetch is thrown (a
 * {@link KvException}) by the hasNext or next that needed the page, and
 * again by any later call, which fetches nothing. Not thread-safe.
 */
final class KeyIterator implements Iterator<String> {
  private final Function<String, KeyPage> fetch;
  private List<String> keys = List.of(); // the current page
  private int next;                      // the index in keys of the key next() returns
  private String token = "";             // the next page's token
  private boolean last;                  // the last page was fetched
  private RuntimeException error;

  /** Iterates over the pages {@code fetch} returns for each token ("" first). */
  KeyIterator(Function<String, KeyPage> fetch) {
    this.fetch = fetch;
  }

  @Override
  public boolean hasNext() {
    if (error != null) {
      throw error;
    }
    // A page may be short, even empty, and still not be the last.
    while (next == keys.size() && !last) {
      KeyPage page;
      try {
        page = fetch.apply(token);
      } catch (RuntimeException e) {
        error = e;
        throw e;
      }
      keys = page.keys();
      next = 0;
      token = page.nextPageToken();
      last = page.isLast();
    }
    return next < keys.size();
  }

  @Override
  public String next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the listing has no more keys");
    }
    return keys.get(next++);
  }
}
