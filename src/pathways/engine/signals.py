"""Signals: a broadcast to every case waiting for the name, and a new case of each pathway starting on it.

A signal carries no key: it reaches every active case waiting for it (intermediate catch events,
boundary events interrupting or not, event sub-process starts) that the sender may reach
(`audience`), each in its own transaction, and starts a case of every pathway whose latest
version has a signal start event of its name (data: the signal's `data`). BPMN signals are not
kept: a case that starts waiting later does not get it. A signal a case throws that nothing in
it catches (an end or intermediate throw event) is written with the thrower's commit and
broadcast after it (`engine.postbox`, `engine.messages.deliver_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pathways.base.values import jsonable
from pathways.engine import delivery
from pathways.engine.actors import Actor
from pathways.engine.messages import Delivery, attempt

if TYPE_CHECKING:
    from pathways.engine.cases import Engine


def broadcast(engine: Engine, actor: Actor, name: str, payload: dict[str, Any] | None = None,
              audience: Sequence[int] | None = None, start_agencies: Sequence[str] = ()) -> Delivery:
    """Send signal `name` to every waiting case the sender may reach, and start the pathways it starts."""
    data = jsonable(payload or {})
    with engine.store.unit_of_work(write=False) as uow:
        found = delivery.receivers(uow.session.connection(), "signal", name, audience=audience)
        starts = delivery.starters(engine, uow.session, "signal", name)
    done = Delivery()
    for case_id in found:
        attempt(done, case_id, lambda c: delivery.receive(engine, actor, c, "signal", name, data))
    for key in starts:
        done.started.append(delivery.start(engine, actor, key, "signal", name, data, start_agencies))
    return done
