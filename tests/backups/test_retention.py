"""Scheduled backups by the worker: one archive a day into ``LINKSTAR_BACKUP_DIR``, and the
retention policy (the newest of each of the last N days and of each of the last M ISO weeks)."""

from __future__ import annotations

import datetime as dt
import fcntl
import importlib

import pytest

from linkstar.backups import services, tasks
from linkstar.backups.archive import archive_name
from linkstar.core import clock

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def make_archives(directory, *moments: dt.datetime) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for moment in moments:
        (directory / archive_name(moment)).write_bytes(b"made up")


def names(directory) -> set[str]:
    return {p.name for p in directory.iterdir() if p.name.startswith("linkstar-backup-")}


def test_sixty_daily_archives_keep_seven_days_and_four_weeks():
    # Daily at 03:00 up to Sunday 2030-03-31: the last 7 days are ISO week 13 entirely.
    stamps = [at(2030, 3, 31, 3) - dt.timedelta(days=n) for n in range(60)]
    keep = services.retention_keep(stamps, keep_daily=7, keep_weekly=4)
    days = {at(2030, 3, d, 3) for d in range(25, 32)}
    sundays = {at(2030, 3, 24, 3), at(2030, 3, 17, 3), at(2030, 3, 10, 3)}
    assert keep == days | sundays


def test_the_newest_archive_of_a_day_is_the_one_kept():
    stamps = [at(2030, 1, 13, 1), at(2030, 1, 13, 2), at(2030, 1, 12, 23)]
    assert services.retention_keep(stamps, keep_daily=1, keep_weekly=0) == {at(2030, 1, 13, 2)}


def test_a_pause_in_backups_never_deletes_the_last_good_ones():
    old = [at(2029, 6, d, 3) for d in range(1, 11)]
    keep = services.retention_keep(old, keep_daily=7, keep_weekly=4)
    assert len(keep) >= 7
    assert at(2029, 6, 10, 3) in keep


def test_the_newest_archive_is_kept_even_with_zero_days_and_weeks():
    stamps = [at(2030, 1, 1), at(2030, 1, 2)]
    assert services.retention_keep(stamps, keep_daily=0, keep_weekly=0) == {at(2030, 1, 2)}


def test_retention_deletes_only_backup_archives(tmp_path):
    make_archives(tmp_path, at(2030, 1, 1), at(2030, 1, 2), at(2030, 1, 3))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "linkstar-backup-garbage.tar.gz").write_text("not a timestamp")
    (tmp_path / ".linkstar-backup-abc").mkdir()
    deleted = services.apply_retention(tmp_path, keep_daily=1, keep_weekly=0)
    assert sorted(p.name for p in deleted) == [
        archive_name(at(2030, 1, 1)),
        archive_name(at(2030, 1, 2)),
    ]
    assert (tmp_path / "notes.txt").exists()
    assert (tmp_path / "linkstar-backup-garbage.tar.gz").exists()
    assert (tmp_path / ".linkstar-backup-abc").exists()


def test_the_periodic_job_is_listed_only_when_a_backup_dir_is_set(settings, tmp_path):
    original = settings.LINKSTAR_BACKUP_DIR
    try:
        settings.LINKSTAR_BACKUP_DIR = ""
        assert importlib.reload(tasks).PERIODIC == []
        assert tasks.daily_backup.call() == {
            "status": "disabled",
            "reason": "LINKSTAR_BACKUP_DIR is not set",
        }
        settings.LINKSTAR_BACKUP_DIR = str(tmp_path)
        assert [(p.name, p.every) for p in importlib.reload(tasks).PERIODIC] == [
            ("backups.daily", dt.timedelta(days=1))
        ]
    finally:
        settings.LINKSTAR_BACKUP_DIR = original
        importlib.reload(tasks)


@pytest.mark.django_db
def test_the_daily_job_backs_up_once_a_day_and_applies_retention(settings, tmp_path):
    backups = tmp_path / "backups"
    settings.LINKSTAR_BACKUP_DIR = str(backups)
    settings.LINKSTAR_BACKUP_KEEP_DAILY = 2
    settings.LINKSTAR_BACKUP_KEEP_WEEKLY = 4
    # 2030-01-15 is the Tuesday of ISO week 3; week 2 is 7-13 January; week 1 starts on
    # Monday 2029-12-31; 2029-12-30 is in 2029's week 52, 2029-12-20 in week 51.
    b, c, d = at(2030, 1, 14, 2), at(2030, 1, 13, 2), at(2030, 1, 13, 1)
    e, f, g = at(2030, 1, 6, 2), at(2029, 12, 30, 2), at(2029, 12, 20, 2)
    make_archives(backups, b, c, d, e, f, g)
    with clock.frozen_at(at(2030, 1, 15, 2)):
        outcome = tasks.daily_backup.call()
        assert outcome["status"] == "created"
        created = outcome["archive"].rsplit("/", 1)[-1]
        assert created.startswith("linkstar-backup-20300115T02")
        # Kept: today (new), the newest of the 14th, and the newest of weeks 2, 1 and 52.
        assert names(backups) == {created, *(archive_name(m) for m in (b, c, e, f))}
        assert sorted(outcome["deleted"]) == sorted(archive_name(m) for m in (d, g))

        again = services.run_scheduled_backup()
        assert again["status"] == "exists"
        assert again["archive"].endswith(created)
        assert len(names(backups)) == 5

    with clock.frozen_at(at(2030, 1, 16, 2)):
        with open(backups / services.LOCK_NAME, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert services.run_scheduled_backup()["status"] == "skipped"
            fcntl.flock(held, fcntl.LOCK_UN)
        next_day = services.run_scheduled_backup()
    assert next_day["status"] == "created"
    assert "linkstar-backup-20300116T02" in next_day["archive"]
    # Two days kept (16th, 15th); the 14th goes; weeks 2, 1, 52 keep their newest.
    assert archive_name(b) in next_day["deleted"]
    assert len(names(backups)) == 5
