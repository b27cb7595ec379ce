"""The background regrouping pass as a use case (:mod:`service.regrouping` plans it)."""

from __future__ import annotations

import asyncio
import logging

from service.domain.errors import UnavailableError
from service.lineage import finalise
from service.regrouping import RegroupResult, TermsMemo, plan_regroup
from service.usecases.desk import Desk

log = logging.getLogger(__name__)


class Regrouping:
    """Runs regrouping passes over the recent unkeyed stories."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._terms = TermsMemo(desk.settings.regroup.title_weight)

    async def regroup(self) -> RegroupResult | None:
        """Re-cluster the most recent unkeyed stories (:mod:`service.pipeline.regroup`).

        The service runs this in the background a few seconds after unkeyed articles arrive
        (``Settings.regroup_delay_s``); it is public so a caller can settle the stories now.
        Writes wait for it (it holds the write lock); the clustering runs in a worker thread,
        so reads do not.

        Returns:
            What the pass did, or ``None`` when regrouping is disabled.

        Raises:
            UnavailableError: the store cannot be reached; nothing changed.
        """
        desk = self.desk
        config = desk.settings.regroup
        if not config.enabled:
            return None
        async with desk.lock:
            desk.regroup_wanted.clear()
            now = desk.clock()
            touched = set(desk.touched)
            with desk.metrics.time("regroup"):
                result = await asyncio.to_thread(
                    plan_regroup,
                    desk.world,
                    config,
                    now,
                    self._terms,
                    touched,
                    frozenset(desk.recurrence.boilerplate()),
                    desk.settings.group.min_shared_words,
                )
            self._terms.end_pass()
            desk.touched.clear()
            changes = finalise(desk.world, result.changes, "regroup", now, desk.settings.title)
            if changes.articles or changes.redirects or changes.counters:
                try:
                    with desk.metrics.time("commit"):
                        await desk.store.commit(changes)
                except UnavailableError:
                    desk.touched |= touched  # still to be looked at
                    desk.regroup_wanted.set()  # the next pass tries again
                    raise
                desk.world.apply(changes)
                if changes.articles or changes.redirects:
                    log.info("regroup pass: %d redirects re-pointed", result.repointed)
                desk.metrics.regrouped.inc(result.moved)
                desk.metrics.merges.inc(len(changes.redirects))
                desk.applied(changes, "regroup")
                await desk.invalidate(changes)
        if result.moved:
            log.info(
                "regrouped %d articles: %d moved, %d stories founded, %d dissolved",
                result.articles,
                result.moved,
                result.created,
                result.dissolved,
            )
        return result
