"""Background jobs: audits, sensitivity runs, documents and form imports that take
longer than a request should, run off the request threads and tracked in the database
(`server.models.Job`), on an in-process worker or on SAQ over Redis (the `job_queue`
setting; see `server.jobs.queue`).

`start_job` checks a request as the kind's own endpoint would and queues it; `get_job`,
`list_jobs`, `cancel_job` and `job_file` answer for it on any server sharing the
database. `open_queue` gives the back-end the application starts in its lifespan.
"""

from server.jobs.kinds import KINDS
from server.jobs.queue import Backend, JobCancelled, open_queue
from server.jobs.rows import queue_depth
from server.jobs.service import JobView, cancel_job, get_job, job_file, list_jobs, start_job

__all__ = [
    "KINDS",
    "Backend",
    "JobCancelled",
    "JobView",
    "cancel_job",
    "get_job",
    "job_file",
    "list_jobs",
    "open_queue",
    "queue_depth",
    "start_job",
]
