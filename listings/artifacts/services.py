"""Every write to artifacts (STYLE.md 2): check, inspect, store once by digest, save the row, audit, validate.

- ``artifact_add`` takes a complete file in scratch (from a form post or a finished resumable upload), refuses
  it with a clear message if it is not what it claims, and otherwise stores the bytes under their sha256
  (once, however often they are uploaded) and attaches an ``Artifact`` row to the listing.
- ``artifact_remove`` detaches one; the bytes stay while any other artifact or any frozen version names
  them (``ListingVersion.snapshot["artifacts"]`` lists digests: the escrowed copy must stay whole).
- ``upload_start`` / ``upload_append`` / ``upload_complete`` / ``upload_cancel`` are the resumable upload.

Both changes start a validation run after commit (trigger ``artifact``) and write an audit event. Editing an
approved listing starts a new draft, exactly as ``section_save`` does. A refusal leaves nothing behind: no
scratch file, no blob, no row.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from listings.artifacts import limits, receiving
from listings.artifacts.inspect import ArtifactRefused, check_head, digest_file, inspect_file
from listings.artifacts.receiving import Received
from listings.artifacts.sniff import content_type_from_name, display_name, normalise_content_type
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.events import record_event
from listings.models import Artifact, ArtifactKind, Listing, ListingStatus, ListingVersion, UploadSession
from listings.permissions import can_edit
from listings.storage import blob_exists, delete_blob, store_file
from listings.transitions import EDITABLE_STATUSES, TransitionError, transition

log = logging.getLogger(__name__)

MODES = {"realtime": "realtime", "real-time": "realtime", "real_time": "realtime", "batch": "batch"}
DIRECTIONS = ("input", "output")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
COMPLETE_CLAIM_STALE = timedelta(hours=1)


# -- shared checks -------------------------------------------------------------------------------------------

def _check_can_change(listing: Listing, actor) -> None:
    if not can_edit(actor, listing):
        raise NotAllowed("Viewers cannot change artifacts. Ask an owner of your team for the editor role.")
    if listing.status not in EDITABLE_STATUSES:
        raise ServiceError("This listing is waiting for review, so its artifacts cannot change. Withdraw the "
                           "submission to edit it.")


def _clean_meta(*, kind: str, content_type: str, tags: dict | None, name: str = "") -> tuple[str, str, dict]:
    """The kind, the declared content type and the tags, in the shape SNAPSHOT.md promises. A sample
    without a content type takes the one its extension suggests (and its bytes must then agree)."""
    if kind not in ArtifactKind.values:
        raise ServiceError("Choose what the file is: " + ", ".join(str(label).lower() for label in ArtifactKind.labels) + ".")
    if kind != ArtifactKind.SAMPLE_DATA:
        return kind, "", {}
    tags = tags or {}
    mode = MODES.get(str(tags.get("mode") or "").strip().lower())
    direction = str(tags.get("direction") or "").strip().lower()
    given = (content_type or str(tags.get("content_type") or "")).strip()
    declared = normalise_content_type(given) if given else content_type_from_name(name)
    if mode is None:
        raise ServiceError("Say whether this sample is for real-time inference or batch transform.")
    if direction not in DIRECTIONS:
        raise ServiceError("Say whether this sample is an input to the model or an output from it.")
    if given and not declared:
        raise ServiceError(f"“{given[:100]}” is not a content type; write it as type/subtype, e.g. text/csv.")
    if not declared:
        raise ServiceError("Give the sample's content type, e.g. text/csv, application/json or image/jpeg "
                           "(the content type a buyer sends it with).")
    return kind, declared, {"mode": mode, "direction": direction, "content_type": declared}


def _check_size(kind: str, size: int, name: str) -> None:
    if size <= 0:
        raise ArtifactRefused(f"“{name}” is empty. Choose the file again; it may not have been saved.")
    limit = limits.max_bytes(kind)
    if size > limit:
        label = str(ArtifactKind(kind).label).lower()
        raise ArtifactRefused(f"“{name}” is {limits.human_size(size)}, over the {limits.human_size(limit)} "
                              f"limit for {label}.")


def _clean_digest(value: str) -> str:
    value = (value or "").strip().lower()
    if value.startswith("sha256:"):
        value = value[len("sha256:"):]
    if value and not _HEX64.match(value):
        raise ServiceError("The checksum sent with the file is not a sha256 digest (64 hexadecimal digits).")
    return value


@contextlib.contextmanager
def _digest_lock(sha256: str):
    """Serialise "store these bytes / attach a row" against "nothing needs these bytes: delete them".

    A PostgreSQL session-level advisory lock: it holds no transaction open while a large blob is written to
    storage. SQLite (the laptop default) serialises writers already, so there it is a no-op.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [f"artifact-blob:{sha256}"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [f"artifact-blob:{sha256}"])


def blob_is_needed(sha256: str) -> bool:
    """Does any attached artifact (any listing) or any frozen version name these bytes?"""
    if Artifact.objects.filter(sha256=sha256).exists():
        return True
    if connection.features.supports_json_field_contains:
        return ListingVersion.objects.filter(snapshot__artifacts__contains=[{"sha256": sha256}]).exists()
    # SQLite: a text match on the snapshot errs on the side of keeping the bytes.
    return ListingVersion.objects.filter(snapshot__icontains=sha256).exists()


def collect_blob(sha256: str) -> bool:
    """Delete the stored bytes if nothing needs them any more; True if they were deleted."""
    with _digest_lock(sha256):
        if blob_is_needed(sha256) or not blob_exists(sha256):
            return False
        delete_blob(sha256)
    log.info("artifact blob %s deleted: no artifact or version needs it", sha256)
    return True


def _forget_new_blob(sha256: str) -> None:
    """The row for bytes this request stored could not be saved: do not leave the bytes behind."""
    try:
        if not blob_is_needed(sha256):
            delete_blob(sha256)
    except Exception:  # the error that got us here matters more than the clean-up's
        log.exception("could not remove the unattached blob %s", sha256)


def _reopen_if_approved(listing: Listing, actor) -> None:
    if listing.status == ListingStatus.APPROVED:
        # The approved version stays frozen; changing its files starts the next draft (as section_save does).
        try:
            transition(listing, to=ListingStatus.DRAFT, actor=actor, event="listing.reopened")
        except TransitionError as exc:
            raise Conflict(str(exc)) from exc


def _locked_listing(listing: Listing) -> Listing:
    locked = Listing.objects.select_for_update().get(pk=listing.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise ServiceError("This listing was submitted for review meanwhile, so its artifacts cannot change. "
                           "Withdraw the submission to edit it.")
    return locked


def _touch(listing: Listing) -> None:
    Listing.objects.filter(pk=listing.pk).update(lock_version=F("lock_version") + 1, updated_at=timezone.now())


def _validate_after_commit(listing: Listing, actor) -> None:
    def start() -> None:
        from validation.services import validation_run_start

        validation_run_start(listing=listing, actor=actor, trigger="artifact")

    # robust: the artifact is saved either way; a run that cannot be queued is the sweep's business.
    transaction.on_commit(start, robust=True)


def _event_data(artifact: Artifact) -> dict:
    return {"artifact": str(artifact.id), "kind": artifact.kind, "name": artifact.original_name,
            "sha256": artifact.sha256, "size": artifact.size, "tags": artifact.tags}


# -- adding and removing -------------------------------------------------------------------------------------

def artifact_add(*, listing: Listing, actor, kind: str, received: Received, content_type: str = "",
                 tags: dict | None = None, expected_sha256: str = "") -> Artifact:
    """Inspect a complete scratch file and attach it. The caller removes the scratch file afterwards."""
    name = display_name(received.name)
    kind, declared, tags = _clean_meta(kind=kind, content_type=content_type, tags=tags, name=name)
    expected = _clean_digest(expected_sha256)
    _check_can_change(listing, actor)
    _check_size(kind, received.size, name)
    inspection = inspect_file(received.path, kind=kind, name=name, content_type=declared)
    sha256 = received.sha256 or inspection.sha256 or digest_file(received.path)
    if expected and expected != sha256:
        raise ArtifactRefused(
            f"“{name}” changed on its way here: your browser computed sha256 {expected[:12]}…, the server "
            f"received {sha256[:12]}…. Nothing was stored; upload the file again."
        )
    with _digest_lock(sha256):
        _key, created = store_file(received.path, sha256=sha256)
        try:
            with transaction.atomic():
                locked = _locked_listing(listing)
                _reopen_if_approved(locked, actor)
                artifact = Artifact.objects.create(
                    listing=locked, kind=kind, sha256=sha256, size=received.size, original_name=name,
                    content_type=declared or inspection.content_type, tags=tags, uploaded_by=actor,
                )
                _touch(locked)
                record_event(listing=locked, type="artifact.added", actor=actor,
                             data=_event_data(artifact) | {"stored": created})
                _validate_after_commit(locked, actor)
        except BaseException:
            if created:
                _forget_new_blob(sha256)
            raise
    listing.refresh_from_db()
    return artifact


def artifact_remove(*, artifact: Artifact, actor) -> None:
    listing = artifact.listing
    _check_can_change(listing, actor)
    with transaction.atomic():
        locked = _locked_listing(listing)
        _reopen_if_approved(locked, actor)
        deleted, _ = Artifact.objects.filter(pk=artifact.pk).delete()
        if not deleted:
            raise Conflict("This file was already removed.")
        _touch(locked)
        record_event(listing=locked, type="artifact.removed", actor=actor, data=_event_data(artifact))
        sha256 = artifact.sha256
        transaction.on_commit(lambda: collect_blob(sha256), robust=True)
        _validate_after_commit(locked, actor)
    listing.refresh_from_db()


# -- resumable uploads ---------------------------------------------------------------------------------------

def upload_start(*, listing: Listing, actor, kind: str, name: str, size: int, content_type: str = "",
                 tags: dict | None = None, sha256: str = "") -> UploadSession:
    """Open a resumable upload after checking everything that can be checked before the first byte."""
    display = display_name(name)
    kind, declared, tags = _clean_meta(kind=kind, content_type=content_type, tags=tags, name=display)
    expected = _clean_digest(sha256)
    _check_can_change(listing, actor)
    _check_size(kind, size, display)
    sweep_stale_uploads()
    session = UploadSession.objects.create(
        listing=listing, kind=kind, original_name=display, content_type=declared, tags=tags, size=size,
        expected_sha256=expected, created_by=actor,
    )
    receiving.scratch_path(session.id).touch()
    return session


def _drop(session: UploadSession) -> None:
    UploadSession.objects.filter(pk=session.pk).delete()
    receiving.discard(receiving.scratch_path(session.id))


def upload_append(*, session: UploadSession, actor, stream, start: int, end: int, total: int) -> UploadSession:
    """Write one chunk (bytes ``start``–``end`` inclusive of ``total``) if it continues where the upload is."""
    _check_can_change(session.listing, actor)
    if total != session.size:
        raise ServiceError(f"This upload is {session.size:,} bytes, but the chunk says the file has {total:,}.")
    length = end - start + 1
    if start < 0 or length <= 0 or end >= session.size:
        raise ServiceError("The chunk's byte range does not fit the file.")
    if length > limits.guard("max_chunk_bytes"):
        raise ServiceError(f"Send at most {limits.human_size(limits.guard('max_chunk_bytes'))} per chunk.")
    try:
        with transaction.atomic():
            current = UploadSession.objects.select_for_update(nowait=True).get(pk=session.pk)
            if current.completing_at is not None:
                raise Conflict("This upload is already being finished.", current={"received": current.received})
            if start != current.received:
                raise Conflict(f"The server has {current.received:,} bytes of this file; continue from there.",
                               current={"received": current.received})
            written = receiving.append_chunk(receiving.scratch_path(current.id), stream, offset=start,
                                             length=length)
            current.received = start + written
            current.updated_at = timezone.now()
            current.save(update_fields=["received", "updated_at"])
    except OperationalError:  # nowait: another request holds the row
        raise Conflict("Another request is sending this upload right now.",
                       current={"received": UploadSession.objects.get(pk=session.pk).received}) from None
    except UploadSession.DoesNotExist:
        raise ServiceError("This upload was cancelled or has expired; start it again.") from None
    if start == 0 and current.received:
        # Refuse a file of the wrong kind after its first chunk, not after gigabytes.
        head = receiving.read_head(receiving.scratch_path(current.id), 64 * 1024)
        try:
            check_head(head, kind=current.kind, name=current.original_name, content_type=current.content_type,
                       complete=current.received == current.size)
        except ArtifactRefused:
            _drop(current)
            raise
    return current


def upload_complete(*, session: UploadSession, actor) -> Artifact:
    _check_can_change(session.listing, actor)
    now = timezone.now()
    claimed = (UploadSession.objects.filter(_claimable(now), pk=session.pk, received=session.size)
               .update(completing_at=now))
    if not claimed:
        current = UploadSession.objects.filter(pk=session.pk).first()
        if current is None:
            raise ServiceError("This upload was cancelled or has expired; start it again.")
        if current.received != current.size:
            raise Conflict(f"Only {current.received:,} of {current.size:,} bytes have arrived; send the rest first.",
                           current={"received": current.received})
        raise Conflict("This upload is already being finished.", current={"received": current.received})
    path = receiving.scratch_path(session.id)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        _drop(session)
        raise ServiceError("The uploaded bytes are gone (the upload expired); start it again.") from None
    if size != session.size:
        _drop(session)
        raise ServiceError("The uploaded bytes do not add up to the file's size; start the upload again.")
    received = Received(path=path, size=size, name=session.original_name)
    try:
        artifact = artifact_add(listing=session.listing, actor=actor, kind=session.kind, received=received,
                                content_type=session.content_type, tags=session.tags,
                                expected_sha256=session.expected_sha256)
    except ArtifactRefused:
        _drop(session)  # the bytes are wrong: nothing of them stays
        raise
    except BaseException:
        # Something we can retry (storage down, listing locked for review): keep the bytes for a retry.
        UploadSession.objects.filter(pk=session.pk).update(completing_at=None)
        raise
    _drop(session)
    return artifact


def _claimable(now) -> Q:
    """Not being finished — or claimed so long ago that the request doing it must have died."""
    return Q(completing_at__isnull=True) | Q(completing_at__lt=now - COMPLETE_CLAIM_STALE)


def upload_cancel(*, session: UploadSession, actor) -> None:
    if not can_edit(actor, session.listing):
        raise NotAllowed("Viewers cannot upload files.")
    _drop(session)


def sweep_stale_uploads(*, now=None) -> int:
    """Forget resumable uploads nobody touched for a day, and scratch files no upload owns any more."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=limits.guard("session_ttl_seconds"))
    stale = list(UploadSession.objects.filter(updated_at__lt=cutoff, completing_at__isnull=True)[:200])
    for session in stale:
        _drop(session)
    live = {s.hex for s in UploadSession.objects.values_list("id", flat=True)}
    removed = len(stale)
    for path in receiving.scratch_dir().glob("*.part"):
        try:
            old = path.stat().st_mtime < cutoff.timestamp()
        except FileNotFoundError:
            continue
        if old and path.stem not in live:
            receiving.discard(path)
            removed += 1
    return removed



# -- direct uploads to S3 (the REST API's presigned PUT) -----------------------------------------------------
# Added for the REST API (issue 8): when artifacts live in S3 a client may PUT the whole file straight to the
# bucket, at a scratch key named after the upload session, and then ask us to finish. Finishing reads the
# object once (size, sha256, a local copy to inspect), then attaches it through ``artifact_add`` exactly as a
# chunked upload is attached; a refusal deletes the scratch object. Scratch objects of uploads nobody finished
# are not swept here: give the bucket a lifecycle rule that expires ``<location>/incoming/`` after a day.

DIRECT_PUT_MAX_BYTES = 5 * 1024**3  # S3 takes at most 5 GB in one PUT; larger files go in chunks
DIRECT_URL_SECONDS = 3600


def direct_upload_key(session_id) -> str:
    import uuid

    return f"incoming/{uuid.UUID(str(session_id)).hex}"


def direct_upload_url(session: UploadSession, *, expires: int = DIRECT_URL_SECONDS) -> str:
    """A presigned PUT for the session's scratch key. Only for S3 storage."""
    from storages.utils import clean_name

    from listings.storage import artifact_storage, is_remote

    storage = artifact_storage()
    if not is_remote(storage):
        raise ServiceError("Direct uploads need S3 storage, which this server does not use; send the file in chunks.")
    if session.size > DIRECT_PUT_MAX_BYTES:
        raise ServiceError(f"S3 takes at most {limits.human_size(DIRECT_PUT_MAX_BYTES)} in one PUT; send "
                           f"“{session.original_name}” in chunks instead.")
    key = storage._normalize_name(clean_name(direct_upload_key(session.id)))
    return storage.connection.meta.client.generate_presigned_url(
        "put_object", Params={"Bucket": storage.bucket_name, "Key": key}, ExpiresIn=expires)


def direct_upload_arrived(session: UploadSession) -> bool:
    """Has a client PUT this session's file to its scratch key (S3 storage only)?"""
    from listings.storage import artifact_storage, is_remote

    storage = artifact_storage()
    return is_remote(storage) and storage.exists(direct_upload_key(session.id))


def direct_upload_discard(session_id) -> None:
    """Delete the scratch object, if any (after a refusal, a cancel or a finished upload)."""
    from listings.storage import artifact_storage, is_remote

    storage = artifact_storage()
    if not is_remote(storage):
        return
    try:
        storage.delete(direct_upload_key(session_id))
    except Exception:  # the bucket's lifecycle rule removes it later
        log.exception("could not delete the scratch object of direct upload %s", session_id)


def upload_complete_direct(*, session: UploadSession, actor) -> Artifact:
    """Finish a direct upload: verify the object's size, read it once from S3 (hashing it into a local scratch
    copy), inspect and attach it with ``artifact_add`` — which stores it under its digest — and delete the
    scratch object. A refusal deletes the scratch object and the session: nothing of the file stays."""
    import hashlib

    from listings.storage import artifact_storage, iter_chunks

    _check_can_change(session.listing, actor)
    now = timezone.now()
    if not UploadSession.objects.filter(_claimable(now), pk=session.pk).update(completing_at=now):
        if not UploadSession.objects.filter(pk=session.pk).exists():
            raise ServiceError("This upload was cancelled or has expired; start it again.")
        raise Conflict("This upload is already being finished.", current={"received": 0})

    def release() -> None:
        UploadSession.objects.filter(pk=session.pk).update(completing_at=None)

    def refuse(message: str) -> None:
        direct_upload_discard(session.id)
        _drop(session)
        raise ArtifactRefused(message)

    storage = artifact_storage()
    key = direct_upload_key(session.id)
    path = receiving.scratch_path(session.id)
    try:
        if not storage.exists(key):
            release()
            raise Conflict("Nothing has arrived at the upload URL yet: PUT the file there, then finish the upload.",
                           current={"received": 0})
        size = storage.size(key)
        if size != session.size:
            refuse(f"“{session.original_name}” arrived with {size:,} bytes, but the upload was started for "
                   f"{session.size:,}. Nothing was kept; start the upload again.")
        digest = hashlib.sha256()
        with storage.open(key, "rb") as source, open(path, "wb") as out:
            for chunk in iter_chunks(source):
                digest.update(chunk)
                out.write(chunk)
        if path.stat().st_size != size:
            release()
            raise ServiceError("The file could not be read back from storage in full; finish the upload again.")
    except ServiceError:
        raise
    except BaseException:
        release()
        raise
    received = Received(path=path, size=size, name=session.original_name, sha256=digest.hexdigest())
    try:
        artifact = artifact_add(listing=session.listing, actor=actor, kind=session.kind, received=received,
                                content_type=session.content_type, tags=session.tags,
                                expected_sha256=session.expected_sha256)
    except ArtifactRefused:
        direct_upload_discard(session.id)
        _drop(session)
        raise
    except BaseException:
        receiving.discard(path)  # the object in S3 stays for a retry; the local copy is made again
        release()
        raise
    direct_upload_discard(session.id)
    _drop(session)
    return artifact
