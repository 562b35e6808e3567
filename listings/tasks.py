from __future__ import annotations

from celery import shared_task

from listings.export import service
from validation.tasks import JobTask


class BundleJobTask(JobTask):
    @staticmethod
    def fail_job(bundle_id, error):
        service.bundle_fail(bundle_id=bundle_id, error=error)


@shared_task(base=BundleJobTask, soft_time_limit=50 * 60, time_limit=55 * 60)
def build_bundle(bundle_id: str) -> None:
    service.bundle_build(bundle_id=bundle_id)
