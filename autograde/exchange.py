"""nbgrader's collect, taking only the submissions each student made themselves.

nbgrader's exchange lets anyone submit under any name: `nbgrader submit ASSIGNMENT --student bob`
(nbgrader #1097/#1098), or a folder written straight into the world-writable inbound. What it cannot
forge is who owns the files: a submission folder belongs to the system user whose server wrote it. So
collect skips every inbound folder whose owner is not the student it is named for, and logs it (the
folder stays in the inbound for the instructor to look at); among the rest it picks as nbgrader does.

nbgrader_config.py makes this the course's collect (`ExchangeFactory.collect`), for `nbgrader collect`
and for the formgrader's Collect button alike.
"""

import pwd
from collections import defaultdict
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect


def owner(path):
    """The name of the system user who owns path (its uid as text if no user has it)."""
    uid = Path(path).stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class OwnerCheckedCollect(ExchangeCollect):
    """ExchangeCollect that ignores the submissions whose owner is not the student they name."""

    def init_src(self):
        super().init_src()  # nbgrader's checks of the course and inbound folders, and self.duedate
        student = self.coursedir.student_id or "*"
        paths = sorted(Path(self.inbound_path).glob(f"{student}+{self.coursedir.assignment_id}+*"))
        by_student = defaultdict(list)
        for path in paths:
            record = self._path_to_record(str(path))
            made_by = owner(path)
            if made_by == record["username"]:
                by_student[record["username"]].append(record)
            else:
                self.log.warning("Skipped %s: submitted as %s by %s", path.name, record["username"], made_by)
        self.src_records = [self.pick(records) for records in by_student.values()]

    def pick(self, records):
        """nbgrader's choice among one student's submissions: the latest (before the due date, if asked)."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            return (on_time or records)[0]
        return records[0]
