package dev.kvd.client;

import java.util.List;

/**
 * One page of a listing ({@link Store#listKeysPage}): its keys, in ascending
 * byte order, each after every key of the earlier pages, and the token of
 * the next page, empty on the last. A page may hold fewer keys than asked
 * for, even none, and still not be the last: only an empty token ends a
 * listing.
 */
public final class KeyPage {
  private final List<String> keys;
  private final String nextPageToken;

  KeyPage(List<String> keys, String nextPageToken) {
    this.keys = List.copyOf(keys);
    this.nextPageToken = nextPageToken;
  }

  /** The page's keys (unmodifiable). */
  public List<String> keys() {
    return keys;
  }

  /**
   * Pass this to {@link Store#listKeysPage} with the same {@link ListOptions}
   * prefix for the next page; empty when this page is the last.
   */
  public String nextPageToken() {
    return nextPageToken;
  }

  /** Whether this is the last page (the token is empty). */
  public boolean isLast() {
    return nextPageToken.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyPage && ((KeyPage) o).keys.equals(keys)
        && ((KeyPage) o).nextPageToken.equals(nextPageToken);
  }

  @Override
  public int hashCode() {
    return keys.hashCode() * 31 + nextPageToken.hashCode();
  }

  @Override
  public String toString() {
    return "KeyPage{" + keys.size() + " keys, nextPageToken=\"" + nextPageToken + "\"}";
  }
}
