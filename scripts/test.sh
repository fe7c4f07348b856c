#!/usr/bin/env bash
# The whole test suite: on SQLite (a year ahead under faketime, the browser tests on today's
# clock), then on PostgreSQL when one answers on 127.0.0.1:5432 (user postgres, trust auth) or
# at $TEST_DATABASE_URL.
set -uo pipefail
cd "$(dirname "$0")/.."
export LINKSTAR_DATA_DIR="${LINKSTAR_TEST_DATA_DIR:-$PWD/var/test}"
mkdir -p "$LINKSTAR_DATA_DIR"
PYTEST=(.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@")

# Browser tests drive Debian's Chromium (with CJK fonts for the screenshots); the platform-mail
# tests poll a real IMAP server (Debian's dovecot, started by the tests on a free port); the
# SQLite pass moves the clock with Debian's faketime.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/bin/faketime ] \
    || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
    echo "=== installing chromium, CJK fonts, dovecot and faketime (apt) ==="
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei dovecot-imapd faketime >/dev/null \
        || echo "could not install chromium/dovecot/faketime: browser, IMAP and moved-clock tests will be skipped"
fi

# SQLite. No test may depend on the day it runs: the tests run there with the whole process
# clock (the server's, the database's, the files') moved more than a year ahead by Debian's
# faketime — tests that read "today" freeze the project clock (linkstar.core.clock), this pass
# catches the ones that don't — except the browser tests (the browser is the user's machine) and
# those marked real_clock (RQ: Redis's clock cannot move), which run on today's clock. Every test
# also runs on today's clock: those here, the others in the PostgreSQL pass below.
# FAKETIME_FORCE_MONOTONIC_FIX keeps timed waits on condition variables (Redis pub/sub, threads)
# from hanging under libfaketime. LINKSTAR_TEST_FAKETIME=0 runs the whole SQLite pass on today's
# clock instead.
FAKE_DATE="${LINKSTAR_TEST_FAKETIME_AT:-$(date -u -d '+400 days' '+%Y-%m-%d 10:00:00')}"
no_tests_is_ok() { local rc=$1; [ "$rc" -eq 5 ] && rc=0; return "$rc"; }
if [ "${LINKSTAR_TEST_FAKETIME:-1}" = "0" ]; then
    echo "=== LinkStar tests on SQLite ==="
    env -u DATABASE_URL -u REDIS_URL "${PYTEST[@]}"
    sqlite_rc=$?
    fake_rc=0
elif [ -x /usr/bin/faketime ]; then
    echo "=== LinkStar tests on SQLite with the clock moved to $FAKE_DATE (faketime) ==="
    FAKETIME_FORCE_MONOTONIC_FIX=1 faketime "$FAKE_DATE" env -u DATABASE_URL -u REDIS_URL \
        "${PYTEST[@]}" -m "not browser and not real_clock"
    no_tests_is_ok $?; fake_rc=$?
    echo "=== LinkStar tests on SQLite, today's clock: the browser tests and those needing the real clock ==="
    env -u DATABASE_URL -u REDIS_URL "${PYTEST[@]}" -m "browser or real_clock"
    no_tests_is_ok $?; sqlite_rc=$?
else
    echo "=== faketime is missing: the moved-clock pass cannot run; SQLite on today's clock ==="
    env -u DATABASE_URL -u REDIS_URL "${PYTEST[@]}"
    sqlite_rc=$?
    fake_rc=1
fi

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/linkstar}"
if .venv/bin/python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
PY
then
    # The PostgreSQL pass also runs background jobs on RQ and the cache on Redis, when a Redis
    # answers ($TEST_REDIS_URL, default 127.0.0.1:6379); each test process then takes a Redis
    # database of its own (the tests.support.jobs plugin).
    REDIS_TEST_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
    PG_ENV=(DATABASE_URL="$PG_URL")
    if .venv/bin/python - "$REDIS_TEST_URL" <<'PY' 2>/dev/null
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
PY
    then
        echo "=== LinkStar tests on PostgreSQL ($PG_URL), jobs on RQ and cache on Redis ($REDIS_TEST_URL) ==="
        PG_ENV+=(REDIS_URL="$REDIS_TEST_URL")
    else
        echo "=== NOTICE: Redis not reachable at $REDIS_TEST_URL: the PostgreSQL pass keeps jobs in the database ==="
        echo "=== LinkStar tests on PostgreSQL ($PG_URL) ==="
    fi
    # The browser tests ran in the SQLite pass; the PostgreSQL pass checks the data layer.
    env -u REDIS_URL "${PG_ENV[@]}" PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "${PYTEST[@]}" -p tests.support.jobs -m "not browser"
    pg_rc=$?
else
    echo "=== PostgreSQL not reachable at $PG_URL: SQLite alone ==="
    pg_rc=0
    if [ "$fake_rc" -eq 0 ] && [ "${LINKSTAR_TEST_FAKETIME:-1}" != "0" ] && [ -x /usr/bin/faketime ]; then
        echo "=== LinkStar tests on SQLite, today's clock: the others ==="
        env -u DATABASE_URL -u REDIS_URL "${PYTEST[@]}" -m "not browser and not real_clock"
        no_tests_is_ok $?; pg_rc=$?
    fi
fi

if [ "$sqlite_rc" -ne 0 ] || [ "$pg_rc" -ne 0 ] || [ "$fake_rc" -ne 0 ]; then
    echo "FAILED (sqlite: $sqlite_rc, postgresql: $pg_rc, moved clock: $fake_rc)"
    exit 1
fi
echo "All test passes green."
