"""The deterministic traffic generator: a discrete-event simulation of one contact center.

``generate(start, duration, seed, center, incidents)`` yields ``SimRecord``s in event-time order;
the same arguments always give the same records (one seeded ``random.Random``, no wall clock, no set
iteration). What it simulates:

- arrivals per queue as a Poisson process whose rate follows the hour-of-day curve (local time),
  scaled to the staffed capacity and ``occupancy``; channels per the queue's mix;
- staffing that follows the same curve (agents log in and out on the hour), breaks every ~2 hours;
- FIFO routing to the longest-idle available agent of the queue; customers abandon after an
  exponential patience (voice, chat); log-normal talk, hold and after-contact work;
- what the platforms send: agent events (state changes and 120 s heartbeats), contact facts as
  EventBridge contact events or CTRs (Connect voice/chat) or generic events (e-mail, tasks), Contact
  Lens segments for a share of voice/chat contacts, and a generic queue snapshot per queue every 30 s;
- the scripted incidents of ``local.simulator.incidents``.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.simulator import incidents as inc
from local.simulator import payloads as p
from local.simulator.config import HANDLING, CenterConfig, QueueConfig
from local.simulator.conversation import batches, utterances
from local.simulator.labels import Label, Victim, incident_label, normal_peak_label
from local.simulator.model import AgentProfile, ContactPlan, SimRecord
from local.simulator.weekly import PeakDraw, Season

SRC_AGENT = "amazon_connect.agent"
SRC_CONTACT_EVENT = "amazon_connect.contact_event"
SRC_CONTACT_RECORD = "amazon_connect.contact_record"
SRC_LENS = "contact_lens"
SRC_GENERIC = "generic"

SINGLE_CONTACT_INCIDENTS = (inc.SENTIMENT_COLLAPSE, inc.COMPLIANCE_BREACH, inc.AGENT_STUCK_ON_HOLD)
_QUEUE_INCIDENTS = (
    inc.VOLUME_SPIKE,
    inc.LONG_WAIT_PILEUP,
    inc.SLOW_SLIDE,
    inc.QUEUE_STOPS_REPORTING,
    inc.SMALL_QUEUE_FAILING,
    inc.QUIET_STALL,
)
HOLD_MEDIAN_SECONDS = 60.0
HOLD_SIGMA = 0.5
BREAK_MEDIAN_SECONDS = 600.0
_FIRST_NAMES = (
    "Amelia",
    "Noah",
    "Ines",
    "Tiago",
    "Maya",
    "Luca",
    "Sofia",
    "Omar",
    "Hana",
    "Jonas",
    "Zoe",
    "Ravi",
)
_LAST_NAMES = ("Ortiz", "Silva", "Novak", "Okafor", "Berg", "Costa", "Haddad", "Kim", "Moreau", "Lund")


def generate(
    start: datetime,
    duration: timedelta,
    seed: int = 1,
    *,
    center: CenterConfig | None = None,
    incidents: Sequence[inc.Incident] = inc.DEFAULT_INCIDENTS,
    incidents_at: timedelta = timedelta(0),
) -> Iterator[SimRecord]:
    """Simulated traffic from ``start`` for ``duration``, in event-time order.

    ``incidents_at`` shifts every incident's offset (e.g. 10 h for a day starting at midnight, so the
    incidents hit a busy hour). ``start`` must carry a time zone.
    """
    return Simulation(
        start, duration, seed, center=center, incidents=incidents, incidents_at=incidents_at
    ).run()


@dataclass(eq=False)
class _Agent:
    profile: AgentProfile
    rank: int  # position within the queue's agents: lower ranks are staffed first
    online: bool = False
    status: tuple[str, str] = p.STATUS_OFFLINE
    status_since: float = 0.0
    contact: ContactPlan | None = None
    contact_state: str = ""
    contact_state_since: float = 0.0
    idle_since: float = 0.0
    last_break: float = 0.0
    last_event: float = 0.0
    heartbeat_pending: bool = False
    leaving: bool = False
    meeting: bool = False  # due in (or in) the pile-up incident's meeting
    on_break: bool = False


@dataclass
class _Queue:
    config: QueueConfig
    agents: list[_Agent] = field(default_factory=list)
    waiting: deque[ContactPlan] = field(default_factory=deque)
    mean_handle: float = 0.0


class Simulation:
    """One simulation run: ``run()`` yields the records (as ``generate`` does); once they have all been
    read, ``labels()`` says where each scripted incident happened and what should detect it."""

    def __init__(
        self,
        start: datetime,
        duration: timedelta,
        seed: int = 1,
        *,
        center: CenterConfig | None = None,
        incidents: Sequence[inc.Incident] = inc.DEFAULT_INCIDENTS,
        incidents_at: timedelta = timedelta(0),
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must carry a time zone (UTC)")
        if duration <= timedelta(0):
            raise ValueError("duration must be positive")
        center = center or CenterConfig()
        self.start = start
        self.end = duration.total_seconds()
        self.center = center
        self.rng = random.Random(seed)
        self.arns = p.Arns(center)
        self.incidents = [
            inc.Incident(i.name, i.offset + incidents_at, i.duration, i.queue, i.summary) for i in incidents
        ]
        self._victims: dict[int, ContactPlan] = {}  # single-contact incidents (by index): their contact
        self._events: list[tuple[float, int, str, Any]] = []
        self._out: list[tuple[float, int, SimRecord]] = []
        self._seq = 0
        self.queues = self._build_queues()
        self._season = Season(center, seed)

    def normal_peaks(self) -> list[PeakDraw]:
        """The weekly peaks of this run (normal traffic, not incidents; none without ``center.weekly``)."""
        return self._season.peaks(self.start, self.start + timedelta(seconds=self.end))

    def peak_labels(self) -> list[Label]:
        """One ``normal_peak`` label per weekly peak of this run (see ``local.simulator.labels``)."""
        return [normal_peak_label(draw.start, draw.end, draw.extra) for draw in self.normal_peaks()]

    def labels(self) -> list[Label]:
        """Each scripted incident's label (read the records first: who took a victim's call is known
        only once it happened)."""
        end = self.start + timedelta(seconds=self.end)
        labels = []
        for index, incident in enumerate(self.incidents):
            contact = self._victims.get(index)
            victim = None
            if contact is not None:
                agent = contact.agent.agent_id if contact.agent else None
                victim = Victim(contact.contact_id, agent, self._incident_began(contact))
            label = incident_label(
                incident,
                self.start,
                end,
                center_id=self.center.instance_id,
                queues=list(self.queues),
                victim=victim,
            )
            if label is not None:
                labels.append(label)
        return labels

    def _incident_began(self, contact: ContactPlan) -> datetime | None:
        """When a single-contact incident started on its call (None: the call never connected)."""
        if contact.connected is None:
            return None
        into_call = 0.0
        if contact.incident == inc.COMPLIANCE_BREACH:
            into_call = float(contact.extra.get("card_spoken_at", 0.0))
        elif contact.incident == inc.AGENT_STUCK_ON_HOLD and contact.hold_at is not None:
            into_call = contact.hold_at
        return self._time(contact.connected + into_call)

    # --- set-up -------------------------------------------------------------------------------------
    def _build_queues(self) -> dict[str, _Queue]:
        shares = [q.agent_share for q in self.center.queues]
        counts = _apportion(self.center.agents, shares, self.center.min_agents_per_queue)
        queues: dict[str, _Queue] = {}
        index = 0
        for config, count in zip(self.center.queues, counts, strict=True):
            queue = _Queue(config, mean_handle=_mean_handle(config, self.center.hold_probability))
            team_prefix = config.name.replace("-", " ").title()
            for rank in range(count):
                first, last = self.rng.choice(_FIRST_NAMES), self.rng.choice(_LAST_NAMES)
                profile = AgentProfile(
                    index=index,
                    agent_id=self._uuid(),
                    username=f"{first.lower()}.{last.lower()}{index:03d}",
                    first_name=first,
                    last_name=last,
                    queue=config.name,
                    team=f"{team_prefix} Team {rank // 8 + 1}",
                )
                queue.agents.append(_Agent(profile, rank))
                index += 1
            queues[config.name] = queue
        return queues

    # --- the event loop -----------------------------------------------------------------------------
    def run(self) -> Iterator[SimRecord]:
        self._schedule(0.0, "minute", 0)
        self._schedule(0.0, "snapshot", None)
        for queue in self.queues.values():
            for agent in queue.agents:
                self._schedule(self.rng.uniform(0.0, 30.0), "shift", agent)
        first_hour = (1 - self.center.local_hour(self.start) % 1) * 3600
        self._schedule(first_hour, "hour", None)
        for index, incident in enumerate(self.incidents):
            start, end = incident.offset.total_seconds(), incident.end_offset.total_seconds()
            if incident.name in SINGLE_CONTACT_INCIDENTS:
                self._schedule(start, "incident_contact", index)
            if incident.name in (inc.LONG_WAIT_PILEUP, inc.QUEUE_STOPS_REPORTING, inc.QUIET_STALL):
                self._schedule(start, "meeting_start", incident)
                self._schedule(end, "meeting_end", incident)
            if incident.name == inc.SLOW_SLIDE:
                self._schedule(start, "slide_start", incident)
                self._schedule(end, "meeting_end", incident)
        handlers: dict[str, Callable[[float, Any], None]] = {
            "minute": self._on_minute,
            "arrive": self._on_arrive,
            "abandon": self._on_abandon,
            "connect": self._on_connect,
            "hold_start": self._on_hold_start,
            "hold_end": self._on_hold_end,
            "disconnect": self._on_disconnect,
            "acw_end": self._on_acw_end,
            "break_end": self._on_break_end,
            "shift": self._on_shift,
            "hour": self._on_hour,
            "heartbeat": self._on_heartbeat,
            "snapshot": self._on_snapshot,
            "meeting_start": self._on_meeting_start,
            "meeting_end": self._on_meeting_end,
            "incident_contact": self._on_incident_contact,
            "slide_start": self._on_slide_start,
            "slide_step": self._on_slide_step,
            "route": lambda at, name: self._route(self.queues[name], at),
        }
        while self._events:
            at, _, kind, data = heapq.heappop(self._events)
            if at >= self.end:
                break
            yield from self._drain(at)
            handlers[kind](at, data)
        yield from self._drain(self.end, inclusive=False)

    def _drain(self, until: float, *, inclusive: bool = True) -> Iterator[SimRecord]:
        out = self._out
        while out and (out[0][0] <= until if inclusive else out[0][0] < until):
            yield heapq.heappop(out)[2]

    def _schedule(self, at: float, kind: str, data: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at, self._seq, kind, data))

    def _emit(
        self,
        at: float,
        source: str,
        key: str,
        payload: dict[str, Any],
        incident: str | None = None,
        *,
        queue: str | None = None,
    ) -> None:
        """Queue a record for output at ``at`` (its event time), unless an incident loses or delays it
        (``queue``: the queue the record reports on, for the incidents that hit one queue's feed)."""
        sent = at
        if queue is not None and source in inc.LATE_SOURCES and self._active(inc.LATE_DATA, at, queue):
            sent = at + inc.LATE_DELAY.total_seconds()  # same payload, stamped as it happened, sent late
        if sent >= self.end or self._silenced(source, at, sent, queue):
            return
        self._seq += 1
        record = SimRecord(self._time(sent), key, payload, source, incident)
        heapq.heappush(self._out, (sent, self._seq, record))

    def _silenced(self, source: str, at: float, sent: float, queue: str | None) -> bool:
        """Lost: sent while its feed is dead, or about a queue that has stopped reporting."""
        if not self.incidents:
            return False
        if source == inc.SILENT_SOURCE and self._active(inc.SILENT_FEED, sent):
            return True
        if self._active(inc.DEAD_FEED, sent):
            return True
        stopped = self._active(inc.QUEUE_STOPS_REPORTING, at, queue) if queue is not None else None
        return stopped is not None and at >= (stopped.offset + inc.STOP_REPORTING_AFTER).total_seconds()

    def _time(self, at: float) -> datetime:
        return self.start + timedelta(milliseconds=round(at * 1000))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _active(self, name: str, at: float, queue: str | None = None) -> inc.Incident | None:
        """The incident of kind ``name`` under way at ``at`` (on ``queue``, when given), if any."""
        for incident in self.incidents:
            if (
                incident.name == name
                and (queue is None or incident.queue == queue)
                and incident.offset.total_seconds() <= at < incident.end_offset.total_seconds()
            ):
                return incident
        return None

    # --- arrivals -----------------------------------------------------------------------------------
    def _on_minute(self, at: float, _: Any) -> None:
        self._schedule(at + 60.0, "minute", None)
        share = self._season.arrivals(self._time(at + 30.0))
        for queue in self.queues.values():
            name = queue.config.name
            per_hour = len(queue.agents) * share * self._working_share() * 3600.0 / queue.mean_handle
            if self.incidents and self._active(inc.VOLUME_SPIKE, at, name):
                per_hour *= inc.SPIKE_MULTIPLIER
            failing = self._active(inc.SMALL_QUEUE_FAILING, at, name) if self.incidents else None
            if failing is not None:
                per_hour = inc.SMALL_QUEUE_ARRIVALS_PER_HOUR  # instead of the queue's own traffic
            when = at + self.rng.expovariate(per_hour / 3600.0) if per_hour > 0 else math.inf
            while when < at + 60.0:
                contact = self._new_contact(queue, when)
                if failing is not None:
                    self._slow_answer(contact, failing)
                self._schedule(when, "arrive", contact)
                when += self.rng.expovariate(per_hour / 3600.0)

    def _working_share(self) -> float:
        """Occupancy net of breaks: the share of a staffed agent's time that arrivals are planned to fill."""
        on_break = BREAK_MEDIAN_SECONDS * math.exp(0.3**2 / 2) / self.center.break_every_seconds
        return self.center.occupancy * (1 - on_break)

    def _slow_answer(self, contact: ContactPlan, incident: inc.Incident) -> None:
        """A failing small queue's contact: voice, picked up only after ~2 minutes; a third give up first."""
        contact.channel, contact.incident = "voice", incident.name
        if contact.feed == "generic":
            contact.feed = "contact_event"
        low, high = inc.SMALL_QUEUE_PATIENCE
        gives_up = self.rng.random() < inc.SMALL_QUEUE_ABANDON_SHARE
        contact.patience = self.rng.uniform(low, high) if gives_up else None
        contact.extra["answer_after"] = contact.enqueued + self.rng.uniform(*inc.SMALL_QUEUE_WAIT)

    def _new_contact(self, queue: _Queue, enqueued: float) -> ContactPlan:
        rng, center = self.rng, self.center
        channel = _pick(rng, queue.config.channel_mix)
        profile = HANDLING[channel]
        connect_channel = channel in ("voice", "chat")
        feed = "generic"
        if connect_channel:
            feed = "contact_record" if rng.random() < center.contact_record_share else "contact_event"
        ivr = (
            rng.uniform(10.0, 40.0)
            if channel == "voice"
            else rng.uniform(1.0, 5.0)
            if channel == "chat"
            else 0.0
        )
        talk = rng.lognormvariate(math.log(profile.talk[0]), profile.talk[1])
        plan = ContactPlan(
            contact_id=self._uuid(),
            queue=queue.config.name,
            channel=channel,
            feed=feed,
            initiated=enqueued - ivr,
            enqueued=enqueued,
            patience=rng.expovariate(1.0 / profile.patience) if profile.patience else None,
            talk=talk,
            acw=rng.lognormvariate(math.log(profile.after_contact_work[0]), profile.after_contact_work[1]),
            lens=connect_channel and rng.random() < center.contact_lens_share,
            mood=0.15 if rng.random() < center.unhappy_share else 0.0,
        )
        if channel == "voice" and rng.random() < center.hold_probability:
            plan.hold_at = talk * rng.uniform(0.3, 0.7)
            plan.hold = rng.lognormvariate(math.log(HOLD_MEDIAN_SECONDS), HOLD_SIGMA)
        return plan

    def _on_arrive(self, at: float, contact: ContactPlan) -> None:
        queue = self.queues[contact.queue]
        if contact.feed == "contact_event":
            self._contact_event(at, contact, "QUEUED")
        elif contact.feed == "generic":
            self._generic_contact(at, contact, "contact_queued")
        queue.waiting.append(contact)
        if contact.patience is not None:
            self._schedule(at + contact.patience, "abandon", contact)
        self._route(queue, at)

    def _on_abandon(self, at: float, contact: ContactPlan) -> None:
        if contact.routed is not None:
            return
        self.queues[contact.queue].waiting.remove(contact)
        contact.abandoned = at
        wait = at - contact.enqueued
        if contact.feed == "contact_event":
            self._contact_event(at, contact, "DISCONNECTED")
        elif contact.feed == "contact_record":
            self._contact_record(at, contact)
        else:
            self._generic_contact(at, contact, "contact_abandoned", {"wait_seconds": round(wait, 3)})

    # --- routing and handling -----------------------------------------------------------------------
    def _route(self, queue: _Queue, at: float) -> None:
        while queue.waiting:
            head = queue.waiting[0]
            answer_after = head.extra.get("answer_after")
            if answer_after is not None and answer_after > at:  # nobody picks it up before then
                if not head.extra.get("route_due"):
                    head.extra["route_due"] = True
                    self._schedule(answer_after, "route", queue.config.name)
                return
            free = [
                a for a in queue.agents if a.online and a.contact is None and a.status == p.STATUS_AVAILABLE
            ]
            if not free:
                return
            agent = min(free, key=lambda a: (a.idle_since, a.profile.index))
            contact = queue.waiting.popleft()
            contact.routed, contact.agent, agent.contact = at, agent.profile, contact
            self._set_contact_state(agent, at, "CONNECTING")
            ring = HANDLING[contact.channel].ring
            self._schedule(at + self.rng.uniform(*ring), "connect", (agent, contact))

    def _on_connect(self, at: float, data: tuple[_Agent, ContactPlan]) -> None:
        agent, contact = data
        contact.connected = at
        self._set_contact_state(agent, at, "CONNECTED")
        wait = round(at - contact.enqueued, 3)
        if contact.feed == "contact_event":
            self._contact_event(at, contact, "CONNECTED_TO_AGENT")
        elif contact.feed == "generic":
            self._generic_contact(at, contact, "contact_answered", {"wait_seconds": wait})
        if contact.hold_at is not None:
            self._schedule(at + contact.hold_at, "hold_start", agent)
            self._schedule(at + contact.hold_at + contact.hold, "hold_end", agent)
        if contact.lens:
            self._conversation(at, contact)
        self._schedule(at + contact.talk + contact.hold, "disconnect", agent)

    def _on_incident_contact(self, at: float, index: int) -> None:
        """A single-contact incident's victim: one extra voice contact arriving at the incident's offset."""
        incident = self.incidents[index]
        contact = self._new_contact(self.queues[incident.queue or ""], at)
        self._victims[index] = contact
        contact.channel, contact.feed, contact.patience, contact.incident = (
            "voice",
            "contact_event",
            None,
            incident.name,
        )
        contact.initiated = at - 20.0
        if incident.name == inc.SENTIMENT_COLLAPSE:
            contact.lens, contact.talk, contact.hold_at, contact.hold = (
                True,
                inc.COLLAPSE_CALL.total_seconds(),
                None,
                0.0,
            )
        elif incident.name == inc.COMPLIANCE_BREACH:
            contact.lens, contact.talk, contact.hold_at, contact.hold = (
                True,
                max(contact.talk, 240.0),
                None,
                0.0,
            )
            contact.extra["card_spoken_at"] = 40.0
        else:
            contact.hold_at, contact.hold = 45.0, inc.STUCK_HOLD.total_seconds()
            contact.talk = max(contact.talk, 180.0)
        self._on_arrive(at, contact)

    def _on_hold_start(self, at: float, agent: _Agent) -> None:
        self._set_contact_state(agent, at, "CONNECTED_ONHOLD")

    def _on_hold_end(self, at: float, agent: _Agent) -> None:
        self._set_contact_state(agent, at, "CONNECTED")

    def _on_disconnect(self, at: float, agent: _Agent) -> None:
        contact = agent.contact
        assert contact is not None
        contact.ended = at
        self._set_contact_state(agent, at, "ENDED")  # after-contact work
        if contact.feed == "contact_event":
            self._contact_event(at, contact, "DISCONNECTED")
        self._schedule(at + contact.acw, "acw_end", agent)

    def _on_acw_end(self, at: float, agent: _Agent) -> None:
        contact = agent.contact
        assert contact is not None
        agent.contact = None
        if contact.feed == "contact_record":
            self._contact_record(at, contact)
        elif contact.feed == "generic":
            values = {
                "talk_seconds": round(contact.talk, 3),
                "hold_seconds": round(contact.hold, 3),
                "acw_seconds": round(contact.acw, 3),
                "handle_seconds": round(contact.talk + contact.hold + contact.acw, 3),
            }
            self._generic_contact(at, contact, "contact_ended", values)
        self._free(agent, at)

    # --- agent availability -------------------------------------------------------------------------
    def _free(self, agent: _Agent, at: float) -> None:
        """The agent has no contact: log out, join the meeting, take a break, or become available."""
        if agent.leaving:
            self._logout(agent, at)
        elif agent.meeting:
            self._set_status(agent, at, p.STATUS_MEETING)
        elif at - agent.last_break >= self.center.break_every_seconds:
            agent.last_break, agent.on_break = at, True
            self._set_status(agent, at, p.STATUS_BREAK)
            self._schedule(
                at + self.rng.lognormvariate(math.log(BREAK_MEDIAN_SECONDS), 0.3), "break_end", agent
            )
        else:
            if agent.status != p.STATUS_AVAILABLE:
                self._set_status(agent, at, p.STATUS_AVAILABLE)
            else:
                self._agent_event(agent, at, "STATE_CHANGE")
            agent.idle_since = at
            self._route(self.queues[agent.profile.queue], at)

    def _on_break_end(self, at: float, agent: _Agent) -> None:
        agent.on_break = False
        if agent.online:
            self._free(agent, at)

    def _staffed(self, queue: _Queue, at: float) -> int:
        """Agents planned for the hour starting at ``at``: enough for the busier end of that hour."""
        share = self._season.staffing(self._time(at))
        return max(self.center.min_agents_per_queue, math.ceil(len(queue.agents) * share))

    def _on_hour(self, at: float, _: Any) -> None:
        self._schedule(at + 3600.0, "hour", None)
        for queue in self.queues.values():
            for agent in queue.agents:
                self._schedule(at + self.rng.uniform(0.0, 300.0), "shift", agent)

    def _on_shift(self, at: float, agent: _Agent) -> None:
        on_shift = agent.rank < self._staffed(self.queues[agent.profile.queue], at)
        if on_shift and not agent.online:
            agent.online, agent.leaving = True, False
            agent.last_break = at - self.rng.uniform(0.0, self.center.break_every_seconds)
            agent.status, agent.status_since, agent.idle_since = p.STATUS_AVAILABLE, at, at
            self._agent_event(agent, at, "LOGIN")
            if agent.meeting:
                self._set_status(agent, at, p.STATUS_MEETING)
            self._route(self.queues[agent.profile.queue], at)
        elif on_shift:
            agent.leaving = False
        elif agent.online:
            agent.leaving = True
            if agent.contact is None and not agent.on_break and not agent.meeting:
                self._logout(agent, at)

    def _logout(self, agent: _Agent, at: float) -> None:
        agent.online, agent.leaving = False, False
        agent.status, agent.status_since = p.STATUS_OFFLINE, at
        self._agent_event(agent, at, "LOGOUT")

    def _on_meeting_start(self, at: float, incident: inc.Incident) -> None:
        queue = self.queues[incident.queue or ""]
        online = sorted((a for a in queue.agents if a.online), key=lambda a: a.rank)
        for agent in online[inc.PILEUP_AGENTS_LEFT :]:
            agent.meeting = True
            if agent.contact is None and not agent.on_break:
                self._set_status(agent, at, p.STATUS_MEETING, incident.name)

    def _on_slide_start(self, at: float, incident: inc.Incident) -> None:
        """Schedule the queue's agents to leave one by one over the ramp, until a quarter remain."""
        queue = self.queues[incident.queue or ""]
        online = sorted((a for a in queue.agents if a.online), key=lambda a: a.rank)
        keep = max(1, round(len(online) * inc.SLIDE_KEEP_SHARE))
        leaving = online[keep:][::-1]  # the latest-staffed leave first
        for step, agent in enumerate(leaving, start=1):
            when = at + inc.SLIDE_RAMP.total_seconds() * step / len(leaving)
            self._schedule(when, "slide_step", (agent, incident))

    def _on_slide_step(self, at: float, data: tuple[_Agent, inc.Incident]) -> None:
        agent, incident = data
        if at >= incident.end_offset.total_seconds():
            return
        agent.meeting = True
        if agent.online and agent.contact is None and not agent.on_break:
            self._set_status(agent, at, p.STATUS_MEETING, incident.name)

    def _on_meeting_end(self, at: float, incident: inc.Incident) -> None:
        for agent in self.queues[incident.queue or ""].agents:
            if agent.meeting:
                agent.meeting = False
                if agent.online and agent.contact is None and agent.status == p.STATUS_MEETING:
                    self._free(agent, at)

    # --- agent events -------------------------------------------------------------------------------
    def _set_status(
        self, agent: _Agent, at: float, status: tuple[str, str], incident: str | None = None
    ) -> None:
        agent.status, agent.status_since = status, at
        self._agent_event(agent, at, "STATE_CHANGE", incident)

    def _set_contact_state(self, agent: _Agent, at: float, state: str) -> None:
        agent.contact_state, agent.contact_state_since = state, at
        contact = agent.contact
        self._agent_event(agent, at, "STATE_CHANGE", contact.incident if contact else None)

    def _agent_event(self, agent: _Agent, at: float, event_type: str, incident: str | None = None) -> None:
        contact = agent.contact
        view = None
        if contact is not None and event_type != "LOGOUT":
            view = p.agent_contact(
                self.arns,
                contact_id=contact.contact_id,
                channel=contact.channel,
                queue=contact.queue,
                state=agent.contact_state,
                state_since=self._time(agent.contact_state_since),
                queued_at=self._time(contact.enqueued),
                connected_at=self._time(contact.connected) if contact.connected is not None else None,
            )
        payload = p.agent_event(
            self.center,
            self.arns,
            agent.profile,
            event_id=self._uuid(),
            event_type=event_type,
            at=self._time(at),
            status=agent.status,
            status_since=self._time(agent.status_since),
            contact=view,
        )
        self._emit(at, SRC_AGENT, agent.profile.agent_id, payload, incident)
        agent.last_event = at
        if agent.online and not agent.heartbeat_pending:
            agent.heartbeat_pending = True
            self._schedule(at + self.center.heartbeat_seconds, "heartbeat", agent)

    def _on_heartbeat(self, at: float, agent: _Agent) -> None:
        agent.heartbeat_pending = False
        if not agent.online:
            return
        due = agent.last_event + self.center.heartbeat_seconds
        if at < due - 1e-6:  # something else was sent since: the heartbeat waits for 120 s of silence
            agent.heartbeat_pending = True
            self._schedule(due, "heartbeat", agent)
            return
        contact = agent.contact
        incident = contact.incident if contact and agent.contact_state == "CONNECTED_ONHOLD" else None
        self._agent_event(agent, at, "HEART_BEAT", incident)

    # --- contact facts ------------------------------------------------------------------------------
    def _contact_event(self, at: float, contact: ContactPlan, event_type: str) -> None:
        agent = contact.agent if event_type != "QUEUED" else None
        payload = p.contact_event(
            self.center,
            self.arns,
            event_id=self._uuid(),
            event_type=event_type,
            at=self._time(at),
            contact_id=contact.contact_id,
            channel=contact.channel,
            queue=contact.queue,
            initiated=self._time(contact.initiated),
            enqueued=self._time(contact.enqueued),
            agent_id=agent.agent_id if agent else None,
            connected=self._time(contact.connected) if contact.connected is not None else None,
            disconnected=self._time(at) if event_type == "DISCONNECTED" else None,
        )
        self._emit(at, SRC_CONTACT_EVENT, contact.contact_id, payload, contact.incident, queue=contact.queue)

    def _contact_record(self, at: float, contact: ContactPlan) -> None:
        answered = contact.connected is not None
        disconnected = contact.ended if answered and contact.ended is not None else at
        payload = p.contact_record(
            self.center,
            self.arns,
            contact_id=contact.contact_id,
            channel=contact.channel,
            queue=contact.queue,
            initiated=self._time(contact.initiated),
            enqueued=self._time(contact.enqueued),
            dequeued=self._time(contact.connected if contact.connected is not None else at),
            disconnected=self._time(disconnected),
            agent=contact.agent if answered else None,
            connected=self._time(contact.connected) if contact.connected is not None else None,
            talk_seconds=round(contact.talk),
            hold_seconds=round(contact.hold),
            holds=1 if contact.hold_at is not None else 0,
            acw_seconds=round(contact.acw),
            last_update=self._time(at),
        )
        self._emit(at, SRC_CONTACT_RECORD, contact.contact_id, payload, contact.incident, queue=contact.queue)

    def _generic_contact(
        self, at: float, contact: ContactPlan, event_type: str, values: dict[str, float] | None = None
    ) -> None:
        agent = contact.agent if event_type in ("contact_answered", "contact_ended") else None
        payload = p.generic_event(
            self.center,
            event_id=f"sim-{contact.contact_id}-{event_type.removeprefix('contact_')}",
            event_type=event_type,
            at=self._time(at),
            queue=contact.queue,
            team=agent.team if agent else None,
            agent_id=agent.agent_id if agent else None,
            contact_id=contact.contact_id,
            channel=contact.channel,
            values=values,
        )
        self._emit(at, SRC_GENERIC, contact.contact_id, payload, contact.incident, queue=contact.queue)

    def _conversation(self, connected: float, contact: ContactPlan) -> None:
        spoken = utterances(
            self.rng,
            talk=contact.talk,
            hold_at=contact.hold_at,
            hold=contact.hold,
            mood=contact.mood,
            collapse=contact.incident == inc.SENTIMENT_COLLAPSE,
            card_spoken_at=contact.extra.get("card_spoken_at"),
        )
        voice = contact.channel == "voice"
        for group in batches(self.rng, spoken):
            segments: list[dict[str, Any]] = []
            for item in group:
                segment_id = self._uuid()
                segments.append(
                    p.lens_transcript(
                        segment_id=segment_id,
                        role=item.role,
                        content=item.content,
                        sentiment=item.sentiment,
                        begin_ms=round(item.begin * 1000),
                        end_ms=round(item.end * 1000),
                        absolute=None if voice else self._time(connected + item.end),
                    )
                )
                if item.category:
                    segments.append(
                        p.lens_category(
                            item.category,
                            begin_ms=round(item.begin * 1000),
                            end_ms=round(item.end * 1000),
                            transcript_id=None if voice else segment_id,
                        )
                    )
            arrival = connected + group[-1].end
            payload = p.lens_segments(
                self.center,
                contact_id=contact.contact_id,
                channel=contact.channel,
                segments=segments,
                arrival=self._time(arrival),
            )
            self._emit(arrival, SRC_LENS, contact.contact_id, payload, contact.incident, queue=contact.queue)

    # --- queue snapshots ----------------------------------------------------------------------------
    def _on_snapshot(self, at: float, _: Any) -> None:
        self._schedule(at + self.center.snapshot_seconds, "snapshot", None)
        stamp = self._time(at)
        for name, queue in self.queues.items():
            online = [a for a in queue.agents if a.online]
            available = sum(1 for a in online if a.contact is None and a.status == p.STATUS_AVAILABLE)
            wrapping = sum(1 for a in online if a.contact is not None and a.contact_state == "ENDED")
            on_contact = sum(1 for a in online if a.contact is not None) - wrapping
            not_ready = sum(1 for a in online if a.contact is None and a.status != p.STATUS_AVAILABLE)
            longest = at - queue.waiting[0].enqueued if queue.waiting else 0.0
            payload = p.generic_event(
                self.center,
                event_id=f"sim-snapshot-{name}-{round(at * 1000)}",
                event_type="queue_snapshot",
                at=stamp,
                queue=name,
                values={
                    "contacts_in_queue": float(len(queue.waiting)),
                    "longest_wait_seconds": round(longest, 1),
                    "agents_available": float(available),
                    "agents_online": float(len(online)),
                    "agents_on_contact": float(on_contact),
                    "agents_after_contact_work": float(wrapping),
                    "agents_not_ready": float(not_ready),
                },
            )
            self._emit(at, SRC_GENERIC, f"queue:{name}", payload, self._queue_incident(name, at), queue=name)

    def _queue_incident(self, queue: str, at: float) -> str | None:
        for name in _QUEUE_INCIDENTS:
            if self._active(name, at, queue):
                return name
        return None


def queue_agents(center: CenterConfig) -> dict[str, int]:
    """Agents per queue of ``center`` (what ``incidents.random_incidents`` places incidents by)."""
    shares = [queue.agent_share for queue in center.queues]
    counts = _apportion(center.agents, shares, center.min_agents_per_queue)
    return {queue.name: count for queue, count in zip(center.queues, counts, strict=True)}


def placement(start: datetime, duration: timedelta, center: CenterConfig) -> inc.Placement:
    """What ``incidents.random_incidents`` needs to place incidents in this simulation."""
    return inc.Placement(start, duration, center.local_hour(start), queue_agents(center))


def _pick(rng: random.Random, mix: Sequence[tuple[str, float]]) -> str:
    draw = rng.random() * sum(weight for _, weight in mix)
    for name, weight in mix:
        draw -= weight
        if draw < 0:
            return name
    return mix[-1][0]


def _lognormal_mean(median: float, sigma: float) -> float:
    return median * math.exp(sigma * sigma / 2)


def _mean_handle(queue: QueueConfig, hold_probability: float) -> float:
    """Expected seconds an agent spends per contact of this queue (ring + talk + hold + ACW)."""
    total = sum(weight for _, weight in queue.channel_mix)
    mean = 0.0
    for channel, weight in queue.channel_mix:
        profile = HANDLING[channel]
        seconds = (
            sum(profile.ring) / 2
            + _lognormal_mean(*profile.talk)
            + _lognormal_mean(*profile.after_contact_work)
            + (
                hold_probability * _lognormal_mean(HOLD_MEDIAN_SECONDS, HOLD_SIGMA)
                if channel == "voice"
                else 0
            )
        )
        mean += weight / total * seconds
    return mean


def _apportion(total: int, shares: Sequence[float], minimum: int) -> list[int]:
    """Split ``total`` by ``shares`` (largest remainder), each part at least ``minimum``."""
    weight = sum(shares)
    exact = [total * share / weight for share in shares]
    counts = [max(minimum, int(value)) for value in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    position = 0
    while sum(counts) < total:
        counts[order[position % len(order)]] += 1
        position += 1
    while sum(counts) > total:
        largest = max(range(len(counts)), key=lambda i: (counts[i], -i))
        counts[largest] -= 1
    return counts
