/* Create a table in an in-memory database, insert rows, aggregate them, use JSON. */
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

int main(void) {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return fail(db, "open");
    const char *setup =
        "CREATE TABLE t(name TEXT, n INTEGER);"
        "INSERT INTO t VALUES ('zlib', 1), ('bzip2', 2), ('xz', 3);";
    if (sqlite3_exec(db, setup, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "setup");
    const char *query = "SELECT sum(n), json_group_array(name) FROM t";
    if (sqlite3_prepare_v2(db, query, -1, &stmt, NULL) != SQLITE_OK) return fail(db, "prepare");
    if (sqlite3_step(stmt) != SQLITE_ROW) return fail(db, "step");
    int total = sqlite3_column_int(stmt, 0);
    const char *names = (const char *)sqlite3_column_text(stmt, 1);
    if (total != 6 || strcmp(names, "[\"zlib\",\"bzip2\",\"xz\"]") != 0) return 1;
    printf("sqlite %s ok: sum=%d names=%s\n", sqlite3_libversion(), total, names);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return 0;
}
