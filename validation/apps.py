from django.apps import AppConfig


class ValidationConfig(AppConfig):
    name = "validation"
    verbose_name = "Validation"

    def ready(self) -> None:
        import validation.checks  # noqa: F401  (registers every check)
        from django.db.models.signals import post_delete

        from validation.models import RunReport
        from validation.services import report_deleted

        post_delete.connect(report_deleted, sender=RunReport, dispatch_uid="validation-run-report-deleted")
