from libs.runtime.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    # How often the outbox relay looks for items still to publish when nothing wakes it.
    relay_interval_seconds: float = 1.0
    relay_batch_size: int = 500
    max_import_rows: int = 10_000
    max_webhook_bytes: int = 5_000_000
    # Run each configured source's sync schedules in this process (one replica should, when there are several).
    sync_schedules: bool = True
