"""`deploy --shadow`, `promote`, `discard`: try a candidate on live traffic before it answers anyone.

deploy --shadow: the candidate goes through exactly the checks of a deploy (CandidateRefused otherwise),
is put in the store's shadow slot (service.process.shadow_slot; a candidate already there is replaced:
there is at most one) and the running service reloads the same way as for a deploy (SIGHUP to the master,
wait for its outcome and for the old workers to drain). The new workers score it beside the live model
(service.process.shadow_worker, monitoring.shadow); answers stay the live model's.
promote: a deploy of the stored candidate and its card (the live model stays in the history for a
rollback), then the slot is emptied. discard: the slot is emptied and the service reloads without it.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from runtime.contract import shown
from runtime.errors import ModelError
from runtime.predictor import Predictor
from service.process.deploy import (
    CandidateRefused,
    DeployError,
    candidate_card,
    checked_candidate,
    deploy_checked,
    reload_service,
)
from service.process.model_store import ModelStore
from service.process.settings import Settings
from service.process.shadow_slot import ShadowSlot

logger = logging.getLogger(__name__)


def deploy_shadow(settings: Settings, store: ModelStore, candidate: Path, timeout: float) -> None:
    """Check a model file as a deploy does, store it as the shadow and make the service score it."""
    data, predictor = checked_candidate(settings, candidate)
    version, sha256 = predictor.model_version, hashlib.sha256(data).hexdigest()
    current = store.current()
    if current is not None and current.sha256 == sha256:
        raise CandidateRefused(f"not deployed as a shadow: {shown(version)} is the live model already")
    card = candidate_card(candidate, sha256, version)
    slot = ShadowSlot(store.root)
    before = slot.current()
    if before is not None and before.sha256 != sha256:
        logger.info("replacing the shadow model %s (there is at most one)", shown(before.version))
    slot.put(data, version, card)
    logger.info("%s passed its checks; stored as the shadow model", shown(version))
    served = reload_service(store, timeout)
    if served is None:
        logger.info(
            "no running service found (%s); it scores %s from its next start", store.pidfile, shown(version)
        )
    else:
        logger.info(
            "the service scores %s beside %s on every request and still answers with %s",
            shown(version),
            shown(served),
            shown(served),
        )


def promote(settings: Settings, store: ModelStore, timeout: float) -> None:
    """Deploy the stored shadow model (and its card) the safe way, then empty the slot."""
    slot = ShadowSlot(store.root)
    entry = slot.current()
    if entry is None:
        raise DeployError("no shadow model to promote: deploy one with `purchase-predictor deploy --shadow`")
    path, data = slot.read(entry)
    try:  # checked again: today's checks, as a rollback does
        Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)
    except ModelError as exc:
        raise CandidateRefused(f"not promoted: {exc}") from None
    logger.info("promoting the shadow model %s", shown(entry.version))
    deploy_checked(settings, store, data, entry.version, slot.card(), timeout)
    slot.clear()  # the new workers already ignore it: it is the live model
    logger.info("the shadow slot is empty; `purchase-predictor rollback` goes back to the previous model")


def discard(store: ModelStore, timeout: float) -> None:
    """Empty the shadow slot and make the service stop scoring the candidate."""
    slot = ShadowSlot(store.root)
    entry = slot.current()
    if entry is None:
        raise DeployError("no shadow model to discard")
    slot.clear()
    served = reload_service(store, timeout)
    where = "no running service found" if served is None else f"the service serves {shown(served)} alone"
    logger.info("discarded the shadow model %s; %s", shown(entry.version), where)
