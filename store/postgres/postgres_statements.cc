#include "store/postgres/postgres_statements.h"

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace kv::postgres {
namespace {

// Placeholders in the SQL below: `$table` is the quoted table name, `$seq`
// the store's sequence (a plain identifier, so it needs no quoting).
//
// Expiry: expires_at holds Unix milliseconds by the server's clock (NULL
// for never), and only the server's clock judges it, so every kvd sharing
// the table agrees. `$now` is the server's time as of the statement's start
// (kNowMillisSql: now(), one instant for the whole statement, so a GetMany
// or a page is judged at one instant), and `$live` says a row has not
// expired by then. Writes judge by `$clock` instead (kClockMillisSql, the
// time when it is evaluated), with `$live_by_clock`, so that a write that
// waited for another writer's row lock judges the key as it is once it has
// the row, not as it was when the write started:
// - kvd_lock_many and kvd_lock_one judge each row above the FOR UPDATE
//   (in an outer SELECT), so after its lock is taken, however long that
//   took. The transaction acts on that judgement, once per key, while the
//   lock holds; no later statement of it judges again.
// - The one-statement writes (kvd_update for a Set, kvd_increment_one,
//   kvd_delete) judge in their WHERE, which PostgreSQL evaluates again,
//   after the wait, when the other writer changed or deleted the row; when
//   the other writer only locked it and rolled back, the judgement stands
//   from before the wait (at most the call's timeout).
//
// Writes run in a transaction (PostgresDriver::Write): kLockMany locks the
// rows of every key in key order, expired ones too, and kInsertPlaceholders
// then takes the keys that have no row in key order, so two writes rarely
// wait for each other in a cycle (only when a key is created between the
// two); nextval is called only on a row this transaction holds locked
// (kUpdate, kUpdateValue, kDeleteLocked) or is inserting (kInsert), so a
// key's revisions grow in the order its writes commit.
constexpr std::array<StatementDef, kStatementCount> kStatements = {{
    {"kvd_get",
     "SELECT value, revision, expires_at FROM $table "
     "WHERE store = $1 AND key = $2 AND $live",
     2,
     {kTextOid, kByteaOid}},
    // One statement, so one snapshot, whatever the number of keys.
    {"kvd_get_many",
     "SELECT key, value, revision, expires_at FROM $table "
     "WHERE store = $1 AND key = ANY($2) AND $live",
     2,
     {kTextOid, kByteaArrayOid}},
    // FOR UPDATE locks in the order rows leave the sort: key order. Expired
    // rows are locked too (a write replaces them); `live` tells them apart,
    // judged above the lock (see above).
    {"kvd_lock_many",
     "SELECT key, value, revision, expires_at, $live_by_clock AS live "
     "FROM (SELECT key, value, revision, expires_at FROM $table "
     "WHERE store = $1 AND key = ANY($2) ORDER BY key FOR UPDATE) AS locked",
     2,
     {kTextOid, kByteaArrayOid}},
    {"kvd_lock_one",
     "SELECT key, value, revision, expires_at, $live_by_clock AS live "
     "FROM (SELECT key, value, revision, expires_at FROM $table "
     "WHERE store = $1 AND key = $2 FOR UPDATE) AS locked",
     2,
     {kTextOid, kByteaOid}},
    // A set: the new value, and the expiry of its ttl $4 (milliseconds; -1
    // for none, which clears an earlier one). Overwrites an expired row as
    // if it were absent.
    {"kvd_update",
     "UPDATE $table SET value = $3, revision = nextval('$seq'), "
     "expires_at = CASE WHEN $4 >= 0 THEN $clock + $4 END "
     "WHERE store = $1 AND key = $2 RETURNING revision",
     4,
     {kTextOid, kByteaOid, kByteaOid, kBigintOid}},
    // An increment of a live row: the new value, the expiry kept.
    {"kvd_update_value",
     "UPDATE $table SET value = $3, revision = nextval('$seq') "
     "WHERE store = $1 AND key = $2 RETURNING revision",
     3,
     {kTextOid, kByteaOid, kByteaOid}},
    // Adds $3 to a counter in one statement when the key is live and holds
    // the canonical text of an int64 (store/counter_value.h) and the sum
    // fits in one; else changes nothing and returns no row, and the caller
    // falls back to a transaction that finds out which it was. The expiry
    // is kept. The CASE keeps the cast from running on a value that is not
    // a number; the row lock and the re-check of WHERE on the row a
    // concurrent writer left make it lose no increment.
    {"kvd_increment_one",
     "UPDATE $table SET value = convert_to((encode(value, 'escape')::numeric "
     "+ $3)::text, 'UTF8'), revision = nextval('$seq') "
     "WHERE store = $1 AND key = $2 AND $live_by_clock AND "
     "CASE WHEN encode(value, 'escape') ~ "
     "'^(0|-?[1-9][0-9]{0,18})$' THEN encode(value, 'escape')::numeric + $3 "
     "BETWEEN -9223372036854775808 AND 9223372036854775807 AND "
     "encode(value, 'escape')::numeric "
     "BETWEEN -9223372036854775808 AND 9223372036854775807 ELSE false END "
     "RETURNING revision, value",
     3,
     {kTextOid, kByteaOid, kBigintOid}},
    // $4 as in kvd_update. No row back: another transaction inserted the
    // key first (and committed; an uncommitted insert is waited for). The
    // caller then locks that row and decides again.
    {"kvd_insert",
     "INSERT INTO $table (store, key, value, revision, expires_at) "
     "VALUES ($1, $2, $3, nextval('$seq'), "
     "CASE WHEN $4 >= 0 THEN $clock + $4 END) "
     "ON CONFLICT (store, key) DO NOTHING RETURNING revision",
     4,
     {kTextOid, kByteaOid, kByteaOid, kBigintOid}},
    // Rows for keys a Write will create, inserted in key order before it
    // writes any (so two Writes creating the same keys in different orders
    // wait for each other in one order, instead of deadlocking). Seen by no
    // one else until COMMIT, and each is overwritten (kvd_update) with its
    // value, revision and expiry before then. RETURNING: the keys inserted;
    // the others were created meanwhile by a write that committed.
    {"kvd_insert_placeholders",
     "INSERT INTO $table (store, key, value, revision) "
     "SELECT $1, k, ''::bytea, 0 FROM unnest($2::bytea[]) AS k ORDER BY k "
     "ON CONFLICT (store, key) DO NOTHING RETURNING key",
     2,
     {kTextOid, kByteaArrayOid}},
    // One statement: nextval runs only for a row deleted, so an absent or
    // expired key moves nothing (an expired row is left to
    // kvd_reclaim_expired).
    {"kvd_delete",
     "DELETE FROM $table WHERE store = $1 AND key = $2 AND $live_by_clock "
     "RETURNING nextval('$seq')",
     2,
     {kTextOid, kByteaOid}},
    // In a transaction, of a row it holds locked and judged live.
    {"kvd_delete_locked",
     "DELETE FROM $table WHERE store = $1 AND key = $2 "
     "RETURNING nextval('$seq')",
     2,
     {kTextOid, kByteaOid}},
    {"kvd_exists",
     "SELECT 1 FROM $table WHERE store = $1 AND key = $2 AND $live",
     2,
     {kTextOid, kByteaOid}},
    // A keyset page over the primary key (store, key): keys after $2, from
    // the prefix $3 up to $4 (the prefix's end, store/key_range.h), at most
    // $5 of them. Every bound is a bytea compared byte for byte, so no
    // character of the prefix means anything (no LIKE), and the scan is an
    // index range scan that reads the page, not the store. The btree takes
    // the greater of the two lower bounds when it runs.
    {"kvd_list_page",
     "SELECT key FROM $table WHERE store = $1 AND key > $2 AND key >= $3 "
     "AND key < $4 AND $live ORDER BY key LIMIT $5",
     5,
     {kTextOid, kByteaOid, kByteaOid, kByteaOid, kBigintOid}},
    // The same for a prefix that has no end (empty, or only 0xff bytes).
    {"kvd_list_page_to_end",
     "SELECT key FROM $table WHERE store = $1 AND key > $2 AND key >= $3 "
     "AND $live ORDER BY key LIMIT $4",
     4,
     {kTextOid, kByteaOid, kByteaOid, kBigintOid}},
    // Deletes at most $2 expired rows of the store, soonest expiry first,
    // found through the partial index on (store, expires_at). SKIP LOCKED
    // passes over rows a writer holds (it may be making them live again),
    // so reclaiming never waits for a writer; and the outer condition is
    // checked again on the row as it is when deleted, so a row that a
    // writer made live is never deleted.
    {"kvd_reclaim_expired",
     "DELETE FROM $table WHERE store = $1 AND expires_at <= $now AND key IN "
     "(SELECT key FROM $table WHERE store = $1 AND expires_at <= $now "
     "ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
     2,
     {kTextOid, kBigintOid}},
    // last_value is what any session's nextval last returned, committed or
    // not; a sequence never called (is_called false) means no write yet.
    {"kvd_current_revision",
     "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM $seq",
     0,
     {}},
}};

}  // namespace

const StatementDef& Statement(StatementId id) { return kStatements[id]; }

std::string StatementSql(StatementId id, absl::string_view quoted_table,
                         absl::string_view sequence) {
  // Two passes: $live contains $now, $live_by_clock $clock.
  const std::string live = absl::StrReplaceAll(
      kStatements[id].sql,
      {{"$live_by_clock", "(expires_at IS NULL OR expires_at > $clock)"},
       {"$live", "(expires_at IS NULL OR expires_at > $now)"}});
  return absl::StrReplaceAll(live, {{"$table", quoted_table},
                                    {"$seq", sequence},
                                    {"$now", kNowMillisSql},
                                    {"$clock", kClockMillisSql}});
}

}  // namespace kv::postgres
