"""Jobs: one manifest per job on the storage volume (the source of truth), created by the API or by STOW-RS.

No torch and no worker code here: the gateway enqueues a job by the task's name (:mod:`core.jobs.queue`).

- :mod:`.models`: the manifest (``JobPublic``), the request body (``JobCreate``), statuses and options.
- :mod:`.store`: manifests on disk, written atomically under a per-job lock.
- :mod:`.create`: a request resolved against the storage into a manifest; the deterministic job id.
- :mod:`.starter`: the STOW-RS hook that starts a job for each completed PT series (split rule).
- :mod:`.queue`: enqueueing by task name, queue depth, broker ping.
- :mod:`.transitions`: the manifest's state changes (started, progressed, succeeded, failed, re-queued).
- :mod:`.progress`: a stage and its fraction as an overall percentage.
- :mod:`.recovery`: at start-up, unfinished jobs are enqueued again.
- :mod:`.enqueue`, :mod:`.outbox`, :mod:`.enqueue_retry`: a message the broker did not take is recorded in the
  manifest and sent again by the gateway, with backoff, once the broker is back.
- :mod:`.stall`: a running job whose worker stopped beating is re-queued (worker lost) or shown stalled (frozen).
- :mod:`.backoff`: the exponential backoff of retries.
"""
