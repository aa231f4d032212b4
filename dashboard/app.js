/* floorwatch supervisor dashboard: one WebSocket, a snapshot, then live transitions.
 *
 * Plain JS, no build step and no network beyond the page's own host (and the WebSocket API).
 * Protocol: docs/protocol.md; the page itself: docs/dashboard.md.
 * Sections: pure helpers (exposed on window.floorwatch for tests) -> state and reducers -> rendering
 * -> connection -> outbox -> controls -> start.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------------------------------
  // Constants
  // ---------------------------------------------------------------------------------------------

  const ACK_TARGET_SECONDS = 30; // the floor's working target: "acknowledge within 30 s, act within 90 s"
  const ACT_TARGET_SECONDS = 90; // counted from the opening, like the acknowledgement target
  // Two jobs, two messages. The tiles poll: a `refresh` answered with a snapshot (table reads and a
  // function invocation) this often; alerts and their values are pushed the moment they change.
  const REFRESH_MS = 15000;
  // The heartbeat. A socket can stall without closing (a proxy or NAT drops it silently). Any message
  // from the server counts (snapshots, pushes, pongs), so silence for the deadline means the feed is not
  // live, and a stall shows within 15 s (checked every second). Only when the page has heard nothing
  // for PING_AFTER_SILENCE_MS does it send a `ping`, which the API answers itself (`pong`: no function,
  // no table); the pong then has 5 s to come. Every message costs the same at API Gateway, so the page
  // asks for one only when nothing else came: about one ping between two refreshes.
  const PING_AFTER_SILENCE_MS = 8000;
  const HEARTBEAT_DEADLINE_MS = 14000;
  const HEARTBEAT_CHECK_MS = 1000;
  // Silence is counted only while the page itself runs: a check that comes late (the machine was
  // busy, the tab throttled, the laptop asleep) counts at most this much, since messages that arrived
  // meanwhile may still wait behind it in the page's queue. A late check also pings at once (its
  // silence counted as at most PING_AFTER_SILENCE_MS), so a live socket proves itself quickly and a dead
  // one is noticed within the deadline.
  const HEARTBEAT_CHECK_CAP_MS = 2000;
  // The first snapshot of a connection (subscribe) may take longer on a busy backend: a socket that has
  // not been live yet gets this long before it counts as stalled (no pings before then: the snapshot is
  // what makes it live).
  const FIRST_SNAPSHOT_DEADLINE_MS = 25000;
  const OUTBOX_MS = 3000;
  const ACTION_TIMEOUT_MS = 10000;
  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const RESOLVED_KEEP = 50;
  const SEEN_KEEP = 5000;
  const RING_GROUP_MS = 60000; // an incident forming this soon after its member rang is not rung again
  const LIVE_SKEW_MS = 60000; // a pushed transition is older than this only when clocks disagree // transition ids remembered for dedupe (delivery is at-least-once)
  const SEVERITY_RANK = { info: 1, warning: 2, critical: 3 };
  const STATE_RANK = { none: 0, ok: 1, info: 2, warning: 3, critical: 4 };
  const STORAGE_KEY = 'floorwatch.dashboard.v1';

  // Which actions each role may send (docs/security.md#who-may-do-what) when the snapshot does not say
  // (`you.actions`): a button the server would refuse is not shown. The rule's links show for everyone
  // who may act; `join` is only whether opening one is recorded as acting.
  const ROLE_ACTIONS = {
    supervisor: ['ack', 'note', 'escalate', 'snooze', 'feedback', 'resolve', 'join'],
    manager: ['ack', 'note', 'escalate', 'snooze', 'feedback', 'resolve', 'join'],
    ops: ['ack', 'note', 'feedback'],
    agent: [],
  };
  // What counts as acting on an alert (the 90-second target): a note, an escalation, a join, a resolve.
  const ACTING_ACTIONS = new Set(['note', 'escalate', 'resolve', 'join']);
  const ACTING_TRANSITIONS = { noted: 'note', escalated: 'escalate', resolved: 'resolve', joined: 'join' };

  const RULE_TITLES = {
    'queue-service-level': 'Service level under target',
    'queue-longest-wait': 'Longest wait too long',
    'queue-contacts-waiting': 'Contacts piling up in queue',
    'queue-abandon-rate': 'Abandon rate high',
    'queue-average-speed-of-answer': 'Slow average speed of answer',
    'queue-handle-time-creeping': 'Handle time creeping up',
    'queue-agents-available-low': 'Hardly any agents available',
    'agent-on-hold-too-long': 'Customer on hold too long',
    'agent-after-contact-work-too-long': 'Agent stuck in after-contact work',
    'agent-not-ready-too-long': 'Agent not ready longer than a break',
    'contact-sentiment-collapse': 'Customer sentiment collapsing',
    'contact-compliance-breach': 'Compliance breach on a live contact',
    'contact-supervisor-requested': 'Customer asked for a supervisor',
    'feed-stale': 'Platform feed has gone quiet',
  };

  const KIND_LABELS = {
    compliance: 'Compliance',
    sentiment: 'Sentiment',
    wait: 'Wait',
    staffing: 'Staffing',
    system: 'Feed',
    other: 'Alert',
  };

  // Static SVG markup (never user data), stroked with currentColor so the severity colour applies.
  const ICONS = {
    compliance:
      '<svg viewBox="0 0 24 24"><path d="M12 2 4 5v6c0 5 3.4 9.3 8 11 4.6-1.7 8-6 8-11V5l-8-3z"/>' +
      '<path d="M12 7v6M12 16.5v.5"/></svg>',
    sentiment:
      '<svg viewBox="0 0 24 24"><path d="M4 5h16v11H9l-5 4V5z"/><path d="M9 12.5c1.6-1.6 4.4-1.6 6 0"/>' +
      '<path d="M9 8.5h.01M15 8.5h.01"/></svg>',
    wait: '<svg viewBox="0 0 24 24"><circle cx="12" cy="12" r="9"/><path d="M12 7v5l3.5 2"/></svg>',
    staffing:
      '<svg viewBox="0 0 24 24"><circle cx="9" cy="8" r="3.2"/><path d="M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6"/>' +
      '<circle cx="17" cy="9" r="2.4"/><path d="M16 14.2c2.8.2 5 2.6 5 5.8"/></svg>',
    system:
      '<svg viewBox="0 0 24 24"><path d="M2 12h4l2-5 4 10 2-5h8"/><path d="M4 4l16 16"/></svg>',
    other: '<svg viewBox="0 0 24 24"><path d="M12 3 2 20h20L12 3z"/><path d="M12 10v4M12 17v.5"/></svg>',
  };

  // ---------------------------------------------------------------------------------------------
  // Pure helpers
  // ---------------------------------------------------------------------------------------------

  /** The JWT's payload, decoded for display only (the server verifies the signature). */
  function decodeTokenPayload(token) {
    if (!token) return null;
    const parts = String(token).split('.');
    if (parts.length < 2) return null;
    try {
      let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      while (b64.length % 4) b64 += '=';
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const payload = JSON.parse(new TextDecoder().decode(bytes));
      return payload && typeof payload === 'object' ? payload : null;
    } catch (err) {
      return null;
    }
  }

  /** ws(s)://<same host>/ws?token=..., or the `ws` query parameter (AWS: the page lives elsewhere). */
  function webSocketUrl(pageUrl, token) {
    const page = new URL(pageUrl);
    const override = page.searchParams.get('ws');
    let url;
    if (override) {
      url = new URL(override, page);
    } else {
      url = new URL('/ws', page);
      url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    if (url.protocol === 'http:') url.protocol = 'ws:';
    if (url.protocol === 'https:') url.protocol = 'wss:';
    if (token && !url.searchParams.has('token')) url.searchParams.set('token', token);
    return url.toString();
  }

  /** Which family an alert belongs to, for its icon: from the rule's id and the metric it watches. */
  function alertKind(rule, metric) {
    const r = String(rule || '').toLowerCase();
    const m = String(metric || '').toLowerCase();
    if (/compliance|supervisor|escalation-request|disclosure|card|ssn/.test(r)) return 'compliance';
    if (/sentiment/.test(m) || /sentiment/.test(r)) return 'sentiment';
    if (/feed|stale/.test(m) || /feed|stale/.test(r)) return 'system';
    if (/agents_available|abandon|not_ready|after_contact|handle_time|occupancy|adherence/.test(m)) {
      return 'staffing';
    }
    if (/agents-available|abandon|not-ready|after-contact|handle-time/.test(r)) return 'staffing';
    if (/wait|speed_of_answer|service_level|in_queue|hold/.test(m)) return 'wait';
    if (/wait|speed-of-answer|service-level|waiting|hold/.test(r)) return 'wait';
    return 'other';
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) return total + ' s';
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const ss = String(s).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  }

  function formatPercent(ratio) {
    const pct = ratio * 100;
    return (Math.abs(pct) < 10 && pct !== 0 ? pct.toFixed(1) : String(Math.round(pct))) + '%';
  }

  function isRatioMetric(metric) {
    return /service_level|abandon_rate|occupancy|adherence|_rate$|_ratio$|_share$/.test(String(metric || ''));
  }

  function isDurationMetric(metric) {
    return /_seconds$|handle_time|speed_of_answer|wait/.test(String(metric || ''));
  }

  /** A metric's value as people read it: 83%, 1:45, +0.21, 12. */
  function formatMetric(metric, value) {
    if (value === null || value === undefined || value === '') return '—';
    const v = Number(value);
    if (!isFinite(v)) return '—';
    const m = String(metric || '');
    if (isRatioMetric(m)) return formatPercent(v);
    if (/sentiment/.test(m)) return (v > 0 ? '+' : '') + v.toFixed(2);
    if (isDurationMetric(m)) return formatDuration(v);
    return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  }

  function humanize(id) {
    const text = String(id || '').replace(/[-_]+/g, ' ').trim();
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
  }

  function ruleTitle(rule, metric) {
    return RULE_TITLES[rule] || humanize(rule) || humanize(metric) || 'Alert';
  }

  /**
   * "queue:billing" -> "Queue billing"; a UUID-like id is cut to its first 8 characters, which is
   * enough to tell contacts apart on a wallboard (the full scope is in the card's tooltip).
   */
  function describeScope(scope) {
    const text = String(scope || '');
    const colon = text.indexOf(':');
    if (colon < 0) return text;
    let id = text.slice(colon + 1);
    if (/^[0-9a-f]{8}-[0-9a-f-]{20,}$/i.test(id)) id = id.slice(0, 8) + '…';
    return humanize(text.slice(0, colon)) + ' ' + id;
  }

  function parseTime(value) {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number') return value > 1e12 ? value : value * 1000;
    const ms = Date.parse(String(value));
    return isNaN(ms) ? null : ms;
  }

  function severityOf(value) {
    return Object.prototype.hasOwnProperty.call(SEVERITY_RANK, value) ? value : 'info';
  }

  /** One outbox entry, whatever shape the runtime gives it: {channel, to, subject, body, at, severity}. */
  function normalizeOutboxItem(item) {
    if (item === null || typeof item !== 'object') {
      return { channel: 'message', to: '', subject: '', body: String(item), at: null, severity: '' };
    }
    const pick = (...keys) => {
      for (const key of keys) {
        if (item[key] !== undefined && item[key] !== null && item[key] !== '') return item[key];
      }
      return '';
    };
    const attributes = pick('attributes', 'message_attributes', 'MessageAttributes') || {};
    const attr = (name) => {
      const a = attributes[name];
      if (a && typeof a === 'object') return a.StringValue || a.string_value || a.Value || '';
      return a || '';
    };
    let channel = String(pick('channel', 'protocol', 'kind') || '').toLowerCase();
    const texts = [pick('text', channel === 'email' ? 'email' : 'sms'), pick('message', 'body', 'Message')];
    let body = texts[0] || texts[1];
    let parsed = body && typeof body === 'object' ? body : null;
    if (typeof body === 'string' && body.trim().charAt(0) === '{') {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        /* plain text that starts with a brace */
      }
    }
    if (parsed && typeof parsed === 'object') {
      // SNS MessageStructure=json carries one text per protocol; SQS-style subscribers get the
      // transition itself as JSON ("default"), which is summarised for people.
      const byProtocol = parsed[channel === 'email' ? 'email' : 'sms'] || parsed.default;
      if (typeof byProtocol === 'string' && byProtocol.trim().charAt(0) !== '{') body = byProtocol;
      else body = summarizeTransition(typeof byProtocol === 'string' ? safeJson(byProtocol) : parsed);
    }
    const to = pick('to', 'destination', 'phone_number', 'PhoneNumber', 'endpoint', 'address') ||
      attr('level') || (parsed && parsed.level_name) || '';
    if (!channel) {
      if (/^\+?\d[\d\s-]+$/.test(String(to))) channel = 'sms';
      else if (String(to).indexOf('@') > 0 || pick('subject', 'Subject')) channel = 'email';
      else channel = 'message';
    }
    if (channel === 'phone' || channel === 'text') channel = 'sms';
    if (channel === 'mail' || channel === 'e-mail') channel = 'email';
    const severity = String(pick('severity') || attr('severity') || (parsed && parsed.severity) || '');
    // "floorwatch-local-escalation" -> "escalation": the topic's role, not its stage prefix.
    const topic = String(pick('topic', 'topic_arn', 'TopicArn') || '').split(':').pop().replace(/^floorwatch-[a-z0-9]+-/, '');
    return {
      channel: channel,
      to: String(to || topic),
      subject: channel === 'sms' ? '' : String(pick('subject', 'Subject') || ''), // SMS has no subject line
      body: String(body || ''),
      at: parseTime(pick('at', 'sent_at', 'timestamp', 'time', 'published_at')),
      severity: severity,
    };
  }

  function safeJson(text) {
    try {
      return JSON.parse(text);
    } catch (err) {
      return text;
    }
  }

  /** A transition (or anything else) as one line people can read in the outbox. */
  function summarizeTransition(data) {
    if (!data || typeof data !== 'object') return String(data === undefined ? '' : data);
    if (!data.alert_id && !data.rule) return JSON.stringify(data);
    const parts = [String(data.severity || '').toUpperCase(), data.transition || '', ruleTitle(data.rule, data.metric)];
    let line = parts.filter(Boolean).join(' ') + ' — ' + describeScope(data.scope);
    if (data.value !== null && data.value !== undefined) {
      line += ': ' + formatMetric(data.metric, data.value);
      if (data.threshold !== null && data.threshold !== undefined) {
        line += ' (threshold ' + formatMetric(data.metric, data.threshold) + ')';
      }
    }
    if (data.level) line += ' · escalation level ' + data.level + (data.level_name ? ' (' + data.level_name + ')' : '');
    return line;
  }

  /** The list inside whatever the outbox endpoint returned (a list, or an object holding one). */
  function outboxItems(payload) {
    if (Array.isArray(payload)) return payload;
    if (payload && typeof payload === 'object') {
      for (const key of ['items', 'messages', 'outbox', 'sent', 'records']) {
        if (Array.isArray(payload[key])) return payload[key];
      }
    }
    return [];
  }

  // ---------------------------------------------------------------------------------------------
  // State and reducers (no DOM here)
  // ---------------------------------------------------------------------------------------------

  const state = {
    token: '',
    principal: null,
    readOnly: true,
    alerts: new Map(), // alert_id -> view
    resolved: [], // newest first
    seen: new Set(),
    seenOrder: [],
    tiles: [],
    tilesReceivedAt: null,
    clockOffsetMs: 0, // client clock minus server clock, from snapshots' `at`
    rung: new Map(), // alert_id -> {at, severity}: when it last rang (one problem, one sound)
    rings: [], // the sounds the page made (or would have, with sound off), newest last: for tests
    you: null, // the snapshot's `you`: {user, role, actions} (what the buttons follow)
    filters: { team: '', queue: '', severity: 'info' },
    sound: false,
    notify: false,
  };

  function rememberTransition(id) {
    if (!id) return true;
    if (state.seen.has(id)) return false;
    state.seen.add(id);
    state.seenOrder.push(id);
    if (state.seenOrder.length > SEEN_KEEP) state.seen.delete(state.seenOrder.shift());
    return true;
  }

  function serverNow() {
    return Date.now() - state.clockOffsetMs;
  }

  function alertFromFields(data, now) {
    const alert = {
      alert_id: String(data.alert_id),
      rule: data.rule || '',
      scope: data.scope || '',
      severity: severityOf(data.severity),
      status: data.status || 'open',
      opened_at: parseTime(data.opened_at || data.at) || serverNow(),
      acknowledged: Boolean(data.acknowledged),
      acknowledged_by: data.acknowledged_by || null,
      acknowledged_at: parseTime(data.acknowledged_at),
      escalation_level: Number(data.escalation_level || 0),
      escalation_note: null,
      snoozed_until: parseTime(data.snoozed_until),
      flapping: Boolean(data.flapping),
      value: data.value === undefined ? null : data.value,
      threshold: data.threshold === undefined ? null : data.threshold,
      queue_id: data.queue_id || null,
      team_id: data.team_id || null,
      metric: data.metric || null,
      link: data.link || null,
      // Incidents: a member names its incident; an incident lists "rule|severity|scope" members.
      incident_id: data.incident_id ? String(data.incident_id) : null,
      members: Array.isArray(data.members) ? data.members.map(String) : [],
      trigger_rule: data.trigger_rule || null,
      no_data_since: parseTime(data.no_data_since),
      ...contextFields(data),
      worst_value: numberOrNull(data.worst_value),
      acted_at: data.acted === false ? null : parseTime(data.acted_at),
      acted_by: data.acted_by || null,
      acted_how: data.acted_how || null,
      muted: Boolean(data.muted),
      muted_reason: textOrNull(data.muted_reason),
      ack_target: numberOrNull(data.ack_target_seconds) || ACK_TARGET_SECONDS,
      act_target: numberOrNull(data.act_target_seconds) || ACT_TARGET_SECONDS,
      // The snapshot carries the history (notes, escalations, snoozes, joins), so a reload keeps it.
      history: historyEntries(data.history),
      last_transition: null,
      resolved_at: null,
      first_seen: now,
      seen_live: false, // true when a pushed transition, not a snapshot, brought it
      updated_at: now,
      lower_is_worse: directionLowerIsWorse(data.direction),
    };
    if (alert.value !== null) {
      alert.value = numberOrNull(alert.value);
      if (alert.lower_is_worse === null) alert.lower_is_worse = lowerIsWorse(alert.metric, alert.value, alert.threshold);
      if (alert.worst_value === null) alert.worst_value = alert.value;
    }
    return alert;
  }

  function numberOrNull(value) {
    if (value === null || value === undefined || value === '') return null;
    const n = Number(value);
    return isFinite(n) ? n : null;
  }

  function textOrNull(value) {
    return value === null || value === undefined || value === '' ? null : String(value);
  }

  /**
   * Who and what an alert is about, and what the rule says to do (docs/protocol.md, "The supervisor's
   * screen"): `where` names (queue, agent, contact), `title` (what happened), `action` (what to do)
   * and `links` (Join, Monitor, Runbook).
   */
  function contextFields(data) {
    const where = data.where && typeof data.where === 'object' ? data.where : {};
    const pick = (key) => textOrNull(where[key] !== undefined && where[key] !== null ? where[key] : data[key]);
    return {
      queue_name: pick('queue_name'),
      agent_name: pick('agent_name'),
      agent_id: pick('agent_id'),
      contact_id: pick('contact_id'),
      contact_name: pick('contact_name'),
      team_name: pick('team_name'),
      title: textOrNull(data.title),
      action_text: textOrNull(data.action),
      rule_links: ruleLinks(data.links),
    };
  }

  /** The rule's action links ([{kind, label, url}]): only http(s) ones, never a javascript: URL from a file. */
  function ruleLinks(items) {
    if (!Array.isArray(items)) return [];
    const links = [];
    for (const item of items) {
      if (!item || typeof item !== 'object' || !isWebLink(item.url)) continue;
      const kind = String(item.kind || 'link');
      links.push({ label: String(item.label || humanize(kind)), url: String(item.url), kind: kind });
    }
    return links;
  }

  /** History entries {transition, at, actor, note}, oldest first. */
  function historyEntries(items) {
    if (!Array.isArray(items)) return [];
    return items.filter((e) => e && typeof e === 'object' && e.transition).map((e) => ({
      transition: String(e.transition), at: parseTime(e.at), actor: textOrNull(e.actor), note: textOrNull(e.note) }));
  }

  /** Context fields a later message may fill in (the first one seen can lack them). */
  function mergeContext(alert, data) {
    for (const key of ['rule', 'scope', 'queue_id', 'team_id', 'metric', 'link', 'trigger_rule']) {
      if (data[key]) alert[key] = data[key];
    }
    const context = contextFields(data);
    for (const [key, value] of Object.entries(context)) {
      if (key === 'rule_links' ? value.length : value !== null) alert[key] = value;
    }
    if (numberOrNull(data.worst_value) !== null) alert.worst_value = numberOrNull(data.worst_value);
    if (directionLowerIsWorse(data.direction) !== null) alert.lower_is_worse = directionLowerIsWorse(data.direction);
    if (data.incident_id) alert.incident_id = String(data.incident_id);
    if (Array.isArray(data.members)) alert.members = data.members.map(String);
  }

  const INCIDENT_RULE = 'incident';

  function isIncident(alert) {
    return Boolean(alert) && alert.rule === INCIDENT_RULE;
  }

  /** "rule|severity|scope" (the engine's member entry) as {rule, severity, scope}. */
  function parseMember(entry) {
    const parts = String(entry).split('|');
    return { rule: parts[0] || '', severity: severityOf(parts[1]), scope: parts.slice(2).join('|') };
  }

  /**
   * An incident's members as rows to list: the member alerts this page holds (they have values), then
   * members the incident names that the page has no alert for (filtered out by the server, or missed).
   */
  function incidentMembers(incident, pool) {
    const held = Array.from(pool).filter((a) => a.incident_id === incident.alert_id && !isIncident(a))
      .sort(compareAlerts);
    const rows = held.map((a) => ({ id: a.alert_id, rule: a.rule, severity: a.severity, scope: a.scope,
      metric: a.metric, value: a.value, where: whereShort(a), title: a.title }));
    const known = new Set(rows.map((row) => row.rule + '|' + row.scope));
    for (const entry of incident.members) {
      const member = parseMember(entry);
      if (known.has(member.rule + '|' + member.scope)) continue;
      known.add(member.rule + '|' + member.scope);
      rows.push({ id: null, rule: member.rule, severity: member.severity, scope: member.scope, metric: null, value: null,
        where: describeScope(member.scope), title: null });
    }
    return rows;
  }

  /** The rule an incident card is titled after: the member change it reports, else its worst member. */
  function incidentRule(incident) {
    if (incident.trigger_rule) return incident.trigger_rule;
    const worst = incident.members.map(parseMember)
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
    return worst ? worst.rule : '';
  }

  /** The rule (and metric) a card shows: an incident's trigger rule, an alert's own rule. */
  function displayRule(alert) {
    return isIncident(alert) ? incidentRule(alert) : alert.rule;
  }

  /** The card showing an alert: its incident's when that card is on screen, else its own. */
  function cardNodeFor(alertId) {
    const alert = state.alerts.get(alertId) || state.resolved.find((a) => a.alert_id === alertId);
    const incidentNode = alert && alert.incident_id ? alertNodes.get(alert.incident_id) : null;
    if (incidentNode && document.contains(incidentNode)) return incidentNode;
    return alertNodes.get(alertId) || null;
  }

  /**
   * Apply one pushed transition. Returns {outcome, alert}: outcome is 'duplicate', 'opened' (new in
   * the feed), 'upgraded', 'resolved' or 'updated'.
   */
  function applyTransition(t, now) {
    if (!t || !t.alert_id) return { outcome: 'ignored', alert: null };
    if (!rememberTransition(t.transition_id)) return { outcome: 'duplicate', alert: null };
    const kind = String(t.transition || '');
    const at = parseTime(t.at) || serverNow();
    let alert = state.alerts.get(t.alert_id);
    const isNew = !alert;
    if (isNew && kind === 'resolved') {
      alert = alertFromFields(t, now);
    } else if (isNew) {
      alert = alertFromFields(t, now);
      alert.seen_live = kind === 'opened';
      state.alerts.set(alert.alert_id, alert);
    }
    mergeContext(alert, t);
    alert.updated_at = now;
    alert.last_transition = kind;
    if (t.threshold !== undefined && t.threshold !== null) alert.threshold = t.threshold;
    if (t.value !== undefined && t.value !== null) {
      noteValue(alert, t.value);
      alert.no_data_since = null; // a measured value: the data is back
    }
    addHistory(alert, { transition: kind, at: at, actor: textOrNull(t.actor), note: textOrNull(t.note) });
    if (ACTING_TRANSITIONS[kind] && t.actor && t.actor !== 'escalation-policy' && alert.acted_at === null) {
      // People's actions count as acting; the escalation policy paging someone else does not.
      alert.acted_at = at;
      alert.acted_by = t.actor;
      alert.acted_how = textOrNull(t.acted_how) || ACTING_TRANSITIONS[kind];
    }

    switch (kind) {
      case 'opened':
        alert.severity = severityOf(t.severity);
        alert.status = 'open';
        alert.opened_at = at;
        break;
      case 'upgraded':
      case 'downgraded':
        alert.severity = severityOf(t.severity);
        break;
      case 'acknowledged':
        alert.acknowledged = true;
        alert.acknowledged_by = t.actor || alert.acknowledged_by;
        alert.acknowledged_at = at;
        break;
      case 'escalated':
        alert.escalation_level += 1;
        alert.escalation_note = t.note || alert.escalation_note;
        break;
      case 'snoozed':
        alert.status = 'snoozed';
        alert.snoozed_until = parseTime(t.snoozed_until) || alert.snoozed_until;
        break;
      case 'flapping_started':
        alert.flapping = true;
        break;
      case 'flapping_stopped':
        alert.flapping = false;
        break;
      case 'resolved':
        moveToResolved(alert, at, t.actor);
        return { outcome: 'resolved', alert: alert };
      default:
        break;
    }
    if (isNew) return { outcome: 'opened', alert: alert };
    if (kind === 'upgraded') return { outcome: 'upgraded', alert: alert };
    return { outcome: 'updated', alert: alert };
  }

  /** The value now, and the worst since the alert opened (the server's when it sends one). */
  function noteValue(alert, value) {
    const v = numberOrNull(value);
    if (v === null) return;
    if (alert.lower_is_worse === undefined || alert.lower_is_worse === null) {
      alert.lower_is_worse = lowerIsWorse(alert.metric, v, alert.threshold);
    }
    alert.value = v;
    const worst = alert.worst_value;
    alert.worst_value = worst === null ? v : alert.lower_is_worse ? Math.min(worst, v) : Math.max(worst, v);
  }

  /** The rule's `direction`: `below` (service level) means lower is worse; null when not given. */
  function directionLowerIsWorse(direction) {
    return direction === 'below' ? true : direction === 'above' ? false : null;
  }

  /** A breach sits on the far side of its threshold; without one, the metric's usual direction. */
  function lowerIsWorse(metric, value, threshold) {
    const t = numberOrNull(threshold);
    if (t !== null && value !== t) return value < t;
    return /service_level|agents_available|sentiment/.test(String(metric || ''));
  }

  const HISTORY_KINDS = new Set(['acknowledged', 'snoozed', 'noted', 'escalated', 'joined']);

  /** One entry of what people (and the escalation policy) did; the same entry twice is kept once. */
  function addHistory(alert, entry) {
    if (!HISTORY_KINDS.has(entry.transition)) return;
    const near = (e) => e.at === null || entry.at === null || Math.abs(e.at - entry.at) < 5000;
    if (entry.transition === 'escalated') {
      // The snapshot's history says "level 2", the push names the level ("floor-manager"): one event.
      const twin = alert.history.find((e) => e.transition === 'escalated' && near(e));
      if (twin) {
        twin.note = escalationNote(twin.note, entry.note);
        twin.actor = twin.actor || entry.actor;
        return;
      }
    }
    const same = (e) => e.transition === entry.transition && e.actor === entry.actor && e.note === entry.note && near(e);
    if (alert.history.some(same)) return;
    alert.history.push(entry);
    alert.history.sort((a, b) => (a.at || 0) - (b.at || 0));
  }

  /** "level 2" and "floor-manager" -> "level 2 (floor-manager)" (either may already be merged). */
  function escalationNote(a, b) {
    const parse = (text) => {
      const m = /^level (\d+)(?: \((.*)\))?$/.exec(text || '');
      return m ? { level: 'level ' + m[1], name: m[2] || null } : { level: null, name: text || null };
    };
    const x = parse(a);
    const y = parse(b);
    const level = x.level || y.level;
    const name = x.name || y.name;
    return level ? level + (name ? ' (' + name + ')' : '') : name;
  }

  /** Snoozed by its status or by a snooze still running: snapshot and push must agree (issue 12). */
  function isSnoozed(alert) {
    if (alert.status === 'snoozed') return alert.snoozed_until === null || alert.snoozed_until > serverNow();
    return alert.snoozed_until !== null && alert.snoozed_until > serverNow();
  }

  /** Muted: snoozed or flapping; its news makes no sound, it does not pulse, no countdown asks for action. */
  function isMuted(alert) {
    return isSnoozed(alert) || alert.flapping || (alert.muted && alert.muted_reason !== 'snoozed');
  }

  function moveToResolved(alert, at, actor) {
    state.alerts.delete(alert.alert_id);
    alert.status = 'resolved';
    alert.resolved_at = at;
    alert.resolved_by = actor || null;
    state.resolved = [alert].concat(state.resolved.filter((a) => a.alert_id !== alert.alert_id));
    if (state.resolved.length > RESOLVED_KEEP) state.resolved.length = RESOLVED_KEEP;
  }

  /**
   * A snapshot is the truth about open alerts as of when it was asked for: alerts it lacks that have
   * not changed since the request went out were resolved while we were not looking.
   */
  function applySnapshot(msg, requestedAt, now) {
    const serverAt = parseTime(msg.at);
    if (serverAt) state.clockOffsetMs = now - serverAt;
    if (msg.you && typeof msg.you === 'object') state.you = msg.you;
    if (Array.isArray(msg.tiles)) {
      state.tiles = msg.tiles;
      state.tilesReceivedAt = now;
    }
    if (!Array.isArray(msg.alerts)) return;
    const present = new Set();
    for (const data of msg.alerts) {
      if (!data || !data.alert_id) continue;
      present.add(String(data.alert_id));
      const gone = state.resolved.find((a) => a.alert_id === String(data.alert_id));
      // Resolved by a push that overtook this snapshot: the push is newer.
      if (gone && requestedAt !== null && gone.updated_at > requestedAt) continue;
      const existing = state.alerts.get(String(data.alert_id));
      const fresh = alertFromFields(data, now);
      if (existing) {
        keepWhatTheSnapshotLacks(fresh, existing, data);
        fresh.first_seen = existing.first_seen;
        fresh.seen_live = existing.seen_live;
        fresh.escalation_note = existing.escalation_note;
        fresh.last_transition = existing.last_transition;
        // A transition that arrived after the request is newer than the snapshot: keep its view.
        if (requestedAt !== null && existing.updated_at > requestedAt) continue;
      }
      state.resolved = state.resolved.filter((a) => a.alert_id !== fresh.alert_id);
      state.alerts.set(fresh.alert_id, fresh);
    }
    if (requestedAt === null) return;
    for (const alert of Array.from(state.alerts.values())) {
      if (!present.has(alert.alert_id) && alert.updated_at <= requestedAt) {
        moveToResolved(alert, serverNow(), null);
      }
    }
  }

  /**
   * A refresh replaces an alert's view; what only this page knew (history from pushes, the worst value
   * it saw, an action it recorded) stays unless the snapshot carries it.
   */
  function keepWhatTheSnapshotLacks(fresh, existing, data) {
    for (const entry of existing.history) addHistory(fresh, entry);
    if (data.worst_value === undefined || data.worst_value === null) {
      const worst = [existing.worst_value, fresh.value].filter((v) => v !== null);
      if (worst.length) {
        fresh.worst_value = fresh.lower_is_worse ? Math.min(...worst) : Math.max(...worst);
      }
    }
    if (fresh.acted_at === null && existing.acted_at !== null) {
      fresh.acted_at = existing.acted_at;
      fresh.acted_by = existing.acted_by;
      fresh.acted_how = existing.acted_how;
    }
    for (const key of ['queue_name', 'agent_name', 'agent_id', 'contact_id', 'contact_name', 'team_name', 'title',
      'action_text']) {
      if (fresh[key] === null) fresh[key] = existing[key];
    }
    if (!fresh.rule_links.length) fresh.rule_links = existing.rule_links;
  }

  function passesFilters(alert) {
    const f = state.filters;
    if (f.team && alert.team_id !== f.team) return false;
    if (f.queue && alert.queue_id !== f.queue) return false;
    return SEVERITY_RANK[alert.severity] >= (SEVERITY_RANK[f.severity] || 1);
  }

  function tilePassesFilters(tile) {
    const f = state.filters;
    if (f.queue && tileQueueId(tile) !== f.queue) return false;
    const teams = tile.team_ids || (tile.team_id ? [tile.team_id] : null);
    if (f.team && teams && teams.indexOf(f.team) < 0) return false;
    return true;
  }

  function tileQueueId(tile) {
    if (tile.queue_id) return String(tile.queue_id);
    const scope = String(tile.scope || '');
    return scope.indexOf(':') >= 0 ? scope.slice(scope.indexOf(':') + 1) : scope;
  }

  /** Critical before warning before info; unacknowledged first; newest first. */
  function compareAlerts(a, b) {
    const sev = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
    if (sev) return sev;
    if (a.acknowledged !== b.acknowledged) return a.acknowledged ? 1 : -1;
    return b.opened_at - a.opened_at;
  }

  /**
   * When the alert's clock started, in this browser's time. Transitions carry event time, which the
   * simulator runs ahead of the wall clock: a start in the future, or (for an alert that arrived live)
   * more than a minute before it arrived, falls back to when the page first saw it.
   */
  function alertStartClient(alert) {
    return alertClockTrusted(alert) ? alert.opened_at + state.clockOffsetMs : alert.first_seen;
  }

  function alertClockTrusted(alert) {
    const corrected = alert.opened_at + state.clockOffsetMs;
    const earliest = alert.first_seen - (alert.seen_live ? LIVE_SKEW_MS : 24 * 3600 * 1000);
    return corrected <= alert.first_seen && corrected >= earliest;
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** Build an element: h('div', {class: 'x', text: 'y'}, child...). Text only via textContent. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setText(node, text) {
    const value = String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function announce(text, urgent) {
    const region = $(urgent ? 'announcer-urgent' : 'announcer');
    if (urgent) {
      region.textContent = text;
      return;
    }
    region.append(h('p', { text: text }));
    while (region.childNodes.length > 5) region.removeChild(region.firstChild);
  }

  function toast(text, kind) {
    const box = $('toasts');
    const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
    const node = h('div', { class: 'toast toast-' + (kind || 'info'), role: kind === 'error' ? 'alert' : 'status' },
      h('span', { text: text }), close);
    close.addEventListener('click', () => node.remove());
    box.append(node);
    while (box.children.length > 4) box.firstElementChild.remove();
    setTimeout(() => node.remove(), kind === 'error' ? 9000 : 4000);
  }

  function showBanner(text) {
    const banner = $('banner');
    if (!text) {
      banner.hidden = true;
      banner.textContent = '';
      return;
    }
    banner.textContent = text;
    banner.hidden = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Tiles
  // ---------------------------------------------------------------------------------------------

  // The figures a floor watches (docs/protocol.md, KPI tiles), after service level and longest wait.
  const TILE_SMALL_METRICS = [
    ['average_speed_of_answer', 'ASA'],
    ['average_handle_time', 'AHT'],
    ['abandon_rate', 'Abandoned'],
    ['contacts_in_queue', 'Waiting'],
    ['customer_sentiment', 'Sentiment'], // the average of the queue's live contacts
  ];
  const AGENT_STATES = [
    ['agents_available', 'available'],
    ['agents_on_contact', 'on contact'],
    ['agents_after_contact_work', 'after-contact work'],
    ['agents_not_ready', 'not ready'],
  ];
  // The tier as a shape and a word, not only a colour.
  const TIER_MARKS = { none: '–', ok: '✓', info: 'ℹ', warning: '▲', critical: '◆' };
  const expandedTiles = new Set(); // queues whose figures are shown on a phone (collapsed by default)

  function metricState(metric) {
    if (!metric || metric.value === null || metric.value === undefined) return 'none';
    return Object.prototype.hasOwnProperty.call(STATE_RANK, metric.state) ? metric.state : 'ok';
  }

  function worstState(metrics) {
    let worst = 'none';
    for (const metric of Object.values(metrics || {})) {
      const s = metricState(metric);
      if (STATE_RANK[s] > STATE_RANK[worst]) worst = s;
    }
    return worst;
  }

  function stateLabel(s) {
    return { none: 'No data', ok: 'OK', info: 'Info', warning: 'Warning', critical: 'Critical' }[s] || s;
  }

  function tierMark(s) {
    if (s === 'none') return null; // the value's dash already says there is no data
    return h('span', { class: 'kpi-tier', 'data-state': s, title: stateLabel(s) },
      h('span', { 'aria-hidden': 'true', text: TIER_MARKS[s] || '' }),
      h('span', { class: 'visually-hidden', text: ' ' + stateLabel(s) }));
  }

  function bar(fraction, modifier, label) {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = Math.round(Math.max(0, Math.min(1, fraction)) * 100) + '%';
    return h('div', { class: 'bar ' + (modifier || ''), role: 'img', 'aria-label': label }, fill);
  }

  function renderServiceLevel(metric) {
    const m = metric || {};
    const s = metricState(m);
    const hasValue = s !== 'none';
    const target = typeof m.target === 'number' ? m.target : null;
    const gauge = bar(hasValue ? Number(m.value) : 0, 'bar-sl',
      hasValue ? 'Service level ' + formatPercent(Number(m.value)) : 'No data');
    if (target !== null) {
      const marker = h('span', { class: 'bar-target', title: 'Target ' + formatPercent(target) });
      marker.style.left = Math.round(target * 100) + '%';
      gauge.append(marker);
    }
    const sub = [];
    if (target !== null) sub.push('target ' + formatPercent(target));
    if (m.samples !== undefined && m.samples !== null) sub.push('n ' + m.samples);
    return h('div', { class: 'kpi kpi-main', 'data-state': s, 'data-metric': 'service_level' },
      h('span', { class: 'kpi-label', text: 'Service level' }),
      h('span', { class: 'kpi-value' }, hasValue ? formatPercent(Number(m.value)) : '—', tierMark(s)),
      gauge,
      h('span', { class: 'kpi-sub', text: hasValue ? sub.join(' · ') : 'no data yet' }));
  }

  function renderLongestWait(metric) {
    const m = metric || {};
    const s = metricState(m);
    const hasValue = s !== 'none';
    const value = Number(m.value);
    const sla = typeof m.sla_seconds === 'number' && m.sla_seconds > 0 ? m.sla_seconds : null;
    let sub = 'no data yet';
    let fraction = 0;
    if (hasValue && sla !== null) {
      fraction = value / sla;
      sub = value <= sla ? formatDuration(sla - value) + ' to ' + formatDuration(sla) + ' SLA'
        : '+' + formatDuration(value - sla) + ' past SLA';
    } else if (hasValue) {
      sub = 'no SLA set';
    }
    return h('div', { class: 'kpi kpi-main', 'data-state': s, 'data-metric': 'longest_wait_seconds' },
      h('span', { class: 'kpi-label', text: 'Longest wait' }),
      h('span', { class: 'kpi-value' }, hasValue ? formatDuration(value) : '—', tierMark(s)),
      bar(fraction, 'bar-sla' + (fraction > 1 ? ' bar-over' : ''), 'SLA countdown: ' + sub),
      h('span', { class: 'kpi-sub', text: sub }));
  }

  function renderSmallMetric(key, label, metric) {
    const m = metric || {};
    const s = metricState(m);
    const value = s === 'none' ? '—' : formatMetric(key, m.value);
    const target = typeof m.target === 'number' && s !== 'none' ? 'target ' + formatMetric(key, m.target) : null;
    return h('div', { class: 'kpi kpi-small', 'data-state': s, 'data-metric': key, title: label + ': ' + stateLabel(s) },
      h('span', { class: 'kpi-label', text: label }),
      h('span', { class: 'kpi-value' }, value, tierMark(s)),
      target ? h('span', { class: 'kpi-sub', text: target }) : null);
  }

  /** Agents by state: one line of counts and a stacked bar (a state the platform does not report: —). */
  function renderAgents(metrics) {
    const counts = AGENT_STATES.map(([key, label]) => {
      const m = metrics[key] || {};
      const v = numberOrNull(m.value);
      return { key: key, label: label, value: v, state: metricState(m) };
    });
    const total = counts.reduce((sum, c) => sum + (c.value || 0), 0);
    const stack = h('div', { class: 'agent-stack', 'aria-hidden': 'true' },
      ...counts.filter((c) => c.value).map((c) => {
        const part = h('span', { class: 'agent-part', 'data-key': c.key });
        part.style.flexGrow = String(c.value);
        return part;
      }));
    // Counted from agent events (no queue snapshot gives them): agents whose routing profile has the queue.
    const counted = AGENT_STATES.some(([key]) => metrics[key] && metrics[key].source === 'agent_events');
    return h('div', { class: 'kpi kpi-agents', 'data-metric': 'agents' },
      h('span', { class: 'kpi-label', text: 'Agents' },
        counted ? h('span', { class: 'kpi-source', title: 'Counted from agent events: agents whose routing ' +
          'profile includes this queue', text: ' · from agent events' }) : null),
      h('ul', { class: 'agent-states' }, ...counts.map((c) => h('li', { 'data-metric': c.key, 'data-state': c.state },
        h('span', { class: 'agent-swatch', 'data-key': c.key, 'aria-hidden': 'true' }),
        h('strong', { text: c.value === null ? '—' : String(c.value) }), ' ' + c.label,
        c.state === 'warning' || c.state === 'critical' ? tierMark(c.state) : null))),
      total > 0 ? stack : null);
  }

  /** The phone's one-line view of a collapsed tile. */
  function tileSummary(metrics) {
    const parts = [];
    const sl = metrics.service_level;
    if (sl && metricState(sl) !== 'none') parts.push('SL ' + formatPercent(Number(sl.value)));
    const wait = metrics.longest_wait_seconds;
    if (wait && metricState(wait) !== 'none') parts.push('wait ' + formatDuration(Number(wait.value)));
    const queued = metrics.contacts_in_queue;
    if (queued && metricState(queued) !== 'none') parts.push(queued.value + ' waiting');
    return parts.join(' · ') || 'no data yet';
  }

  function renderTile(tile) {
    const metrics = tile.metrics || {};
    const worst = worstState(metrics);
    const queueId = tileQueueId(tile);
    const title = tile.queue_name || tile.name || humanize(queueId) || tile.scope;
    const expanded = expandedTiles.has(queueId);
    const bodyId = 'tile-body-' + queueId.replace(/[^A-Za-z0-9_-]/g, '_');
    // On a phone a tile is one line (the alerts come first); the button shows its figures.
    const toggle = h('button', { type: 'button', class: 'btn btn-ghost tile-toggle', 'aria-expanded': String(expanded),
      'aria-controls': bodyId, 'aria-label': (expanded ? 'Hide figures: ' : 'Show figures: ') + title,
      text: expanded ? 'Less' : 'More' });
    toggle.addEventListener('click', () => {
      if (expandedTiles.has(queueId)) expandedTiles.delete(queueId);
      else expandedTiles.add(queueId);
      renderTiles();
      const again = document.querySelector('.tile[data-queue="' + CSS.escape(queueId) + '"] .tile-toggle');
      if (again) again.focus();
    });
    return h('article', { class: 'tile' + (expanded ? ' is-expanded' : ''), 'data-state': worst, 'data-queue': queueId,
      'aria-label': title + ': ' + stateLabel(worst) },
    h('header', { class: 'tile-head' },
      h('h3', { class: 'tile-title', text: title }),
      h('span', { class: 'tile-state' }, h('span', { 'aria-hidden': 'true', text: TIER_MARKS[worst] + ' ' }),
        stateLabel(worst)),
      toggle),
    h('p', { class: 'tile-summary', text: tileSummary(metrics) }),
    h('div', { class: 'tile-body', id: bodyId },
      h('div', { class: 'tile-main' },
        renderServiceLevel(metrics.service_level), renderLongestWait(metrics.longest_wait_seconds)),
      h('div', { class: 'tile-small' },
        ...TILE_SMALL_METRICS.map(([key, label]) => renderSmallMetric(key, label, metrics[key]))),
      renderAgents(metrics)));
  }

  function renderTiles() {
    const box = $('tiles');
    const focused = document.activeElement && document.activeElement.closest('.tile');
    const focusedQueue = focused ? focused.dataset.queue : null;
    const visible = state.tiles.filter(tilePassesFilters)
      .slice()
      .sort((a, b) => tileQueueId(a).localeCompare(tileQueueId(b)));
    box.replaceChildren(...visible.map(renderTile));
    if (focusedQueue !== null) {
      const again = box.querySelector('.tile[data-queue="' + CSS.escape(focusedQueue) + '"] .tile-toggle');
      if (again) again.focus(); // a refresh must not throw the keyboard focus away
    }
    box.setAttribute('aria-busy', state.tilesReceivedAt === null ? 'true' : 'false');
    $('tiles-empty').hidden = state.tilesReceivedAt === null || visible.length > 0;
    renderTilesFreshness();
  }

  function renderTilesFreshness() {
    const node = $('tiles-updated');
    if (state.tilesReceivedAt === null) {
      setText(node, 'waiting for data');
      return;
    }
    const age = Math.max(0, Math.round((Date.now() - state.tilesReceivedAt) / 1000));
    setText(node, age < 2 ? 'updated just now' : 'updated ' + formatDuration(age) + ' ago');
    node.classList.toggle('stale', age * 1000 > REFRESH_MS * 3);
  }

  // ---------------------------------------------------------------------------------------------
  // Alerts
  // ---------------------------------------------------------------------------------------------

  const alertNodes = new Map(); // alert_id -> <li>
  const openForms = new Map(); // alert_id -> form kind being shown ('note' | 'feedback' | ...)

  /** The scope's kind and id: "contact:abc" -> ["contact", "abc"]. */
  function scopeParts(scope) {
    const text = String(scope || '');
    const colon = text.indexOf(':');
    return colon < 0 ? ['', text] : [text.slice(0, colon), text.slice(colon + 1)];
  }

  function shortId(id) {
    const text = String(id || '');
    return /^[0-9a-f]{8}-[0-9a-f-]{20,}$/i.test(text) || /^[0-9a-f]{16,}$/i.test(text) ? text.slice(0, 8) + '…' : text;
  }

  /** Where: the contact, agent and queue by name where the platform gives one, else by id. */
  function alertWhere(alert) {
    const [kind, id] = scopeParts(alert.scope);
    const parts = [];
    const contact = kind === 'contact' ? id : alert.contact_id;
    const agent = kind === 'agent' ? id : alert.agent_id;
    const queueName = alert.queue_name || (alert.queue_id ? humanize(alert.queue_id) : null) ||
      (kind === 'queue' ? humanize(id) : null);
    if (contact) parts.push('Contact ' + (alert.contact_name ? alert.contact_name + ' (' + shortId(contact) + ')' : shortId(contact)));
    if (agent || alert.agent_name) parts.push('Agent ' + (alert.agent_name || shortId(agent)));
    if (queueName) parts.push('Queue ' + queueName);
    if (alert.team_id || alert.team_name) parts.push('Team ' + (alert.team_name || alert.team_id));
    if (!parts.length) parts.push(describeScope(alert.scope) || 'Whole floor');
    return parts.join(' · ');
  }

  /** The few words an accessible name needs to tell this card from the others: who or which queue. */
  function whereShort(alert) {
    const [kind, id] = scopeParts(alert.scope);
    if (kind === 'contact') return alert.contact_name || 'contact ' + shortId(id);
    if (kind === 'agent') return alert.agent_name || 'agent ' + shortId(id);
    return alert.queue_name || alert.queue_id || (kind === 'queue' ? id : describeScope(alert.scope));
  }

  /** How bad: the value now, the worst since it opened, the threshold. */
  function alertHowBad(alert) {
    if (isIncident(alert) || alert.value === null || alert.value === undefined) return '';
    const parts = ['Now ' + formatMetric(alert.metric, alert.value)];
    if (alert.worst_value !== null && alert.worst_value !== undefined) {
      parts.push('worst ' + formatMetric(alert.metric, alert.worst_value));
    }
    if (alert.threshold !== null && alert.threshold !== undefined) {
      parts.push('threshold ' + formatMetric(alert.metric, alert.threshold));
    }
    return parts.join(' · ');
  }

  /**
   * One problem, one card: what people did on an incident's member alerts (a note on the alert they
   * saw before the incident formed, a join) shows on the incident's card and counts as acting on it.
   */
  function absorbMembers(incident, pool) {
    for (const member of Array.from(pool || [])) {
      if (member.incident_id !== incident.alert_id || isIncident(member)) continue;
      for (const entry of member.history) {
        if (entry.transition !== 'escalated') addHistory(incident, entry); // the incident pages for itself
      }
      if (member.acted_at !== null && (incident.acted_at === null || member.acted_at < incident.acted_at)) {
        incident.acted_at = member.acted_at;
        incident.acted_by = member.acted_by;
        incident.acted_how = member.acted_how;
      }
    }
  }

  /** What happened: the server's title (the rule's description), an incident's trigger member's. */
  function cardTitle(alert, pool) {
    if (!isIncident(alert)) return alert.title || ruleTitle(alert.rule, alert.metric);
    const rule = incidentRule(alert);
    const member = Array.from(pool || []).find((a) => a.incident_id === alert.alert_id && a.rule === rule && a.title);
    return member ? member.title : ruleTitle(rule, alert.metric);
  }

  /** One line for notifications: where and how bad. */
  function alertDetail(alert) {
    const bad = alertHowBad(alert);
    return alertWhere(alert) + (bad ? ' · ' + bad : '');
  }

  /** An incident's member alerts this page holds: the one its card is titled after first, then the worst. */
  function heldMembers(incident, pool) {
    const rule = incidentRule(incident);
    return Array.from(pool || []).filter((a) => a.incident_id === incident.alert_id && !isIncident(a))
      .sort((a, b) => (a.rule === rule ? -1 : 0) - (b.rule === rule ? -1 : 0) || compareAlerts(a, b));
  }

  /** How bad an incident is: its leading member's value now, worst and threshold. */
  function howBadOf(alert, pool) {
    if (!isIncident(alert)) return alertHowBad(alert);
    const lead = heldMembers(alert, pool).find((a) => a.value !== null && a.value !== undefined);
    return lead ? alertHowBad(lead) : '';
  }

  /** An incident speaks for its trigger member: that alert's action text and links when it has none. */
  function guidanceOf(alert, pool) {
    if (!isIncident(alert) || (alert.action_text && alert.rule_links.length)) return alert;
    const members = heldMembers(alert, pool);
    const withText = members.find((a) => a.action_text);
    const withLinks = members.find((a) => a.rule_links.length || isWebLink(a.link));
    return {
      action_text: alert.action_text || (withText ? withText.action_text : null),
      rule_links: alert.rule_links.length ? alert.rule_links : withLinks ? withLinks.rule_links : [],
      link: alert.link || (withLinks ? withLinks.link : null),
    };
  }

  function createAlertNode(alert) {
    const node = $('alert-template').content.firstElementChild.cloneNode(true);
    node.dataset.alertId = alert.alert_id;
    node.setAttribute('tabindex', '-1');
    const titleId = 'alert-title-' + alert.alert_id.replace(/[^A-Za-z0-9_-]/g, '_');
    node.querySelector('.alert-title').id = titleId;
    node.setAttribute('aria-labelledby', titleId);
    node.querySelector('.alert-actions').addEventListener('click', (event) => onAlertAction(event, alert.alert_id));
    return node;
  }

  function updateAlertNode(node, alert, resolvedList, pool) {
    const rule = displayRule(alert);
    const kind = alertKind(rule, alert.metric);
    const incident = isIncident(alert);
    node.classList.toggle('is-incident', incident);
    if (incident) alert.member_rows = incidentMembers(alert, pool || []);
    const muted = !resolvedList && isMuted(alert);
    node.dataset.severity = alert.severity;
    node.dataset.kind = kind;
    node.dataset.status = resolvedList ? 'resolved' : muted ? 'snoozed' : alert.acknowledged ? 'acknowledged'
      : alert.status === 'snoozed' ? 'open' : alert.status;
    node.classList.toggle('is-acked', alert.acknowledged);
    node.classList.toggle('is-muted', muted);
    // A muted (snoozed) alert never pulses: the server is not asking anyone to act on it now.
    node.classList.toggle('is-pulsing', alert.severity === 'critical' && !alert.acknowledged && !resolvedList && !muted);
    const icon = node.querySelector('.alert-icon');
    if (icon.dataset.kind !== kind) {
      icon.innerHTML = ICONS[kind]; // static markup from ICONS only
      icon.dataset.kind = kind;
      icon.title = KIND_LABELS[kind];
    }
    setText(node.querySelector('.sev-badge'), alert.severity.toUpperCase() + ' · ' + KIND_LABELS[kind] +
      (incident ? ' · Incident' : ''));
    setText(node.querySelector('.alert-title'), cardTitle(alert, pool));
    const where = node.querySelector('.alert-where');
    setText(where, alertWhere(alert));
    where.title = alert.scope;
    const detail = node.querySelector('.alert-detail');
    const bad = howBadOf(alert, pool);
    detail.hidden = !bad;
    setText(detail, bad);
    const guidance = guidanceOf(alert, pool);
    const todo = node.querySelector('.alert-todo');
    todo.hidden = !guidance.action_text;
    setText(todo.querySelector('.todo-text'), guidance.action_text || '');
    renderMembers(node.querySelector('.incident-members'), incident ? alert.member_rows : []);
    if (incident) absorbMembers(alert, pool);
    renderNotes(node.querySelector('.alert-notes'), alert);
    updateAlertActions(node, alert, resolvedList, guidance);
    updateAlertClock(node, alert, resolvedList);
  }

  /** An incident card's member alerts: title, scope, severity and value, one line each. */
  function renderMembers(list, rows) {
    const lines = rows.map((row) => [row.id || '', row.severity, row.title || ruleTitle(row.rule, row.metric),
      row.where, formatMetric(row.metric, row.value), row.scope]);
    const key = JSON.stringify(lines);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.hidden = rows.length === 0;
    list.replaceChildren(...lines.map(([id, severity, title, scope, value, fullScope]) =>
      h('li', { class: 'incident-member', 'data-member-id': id || null, 'data-severity': severity, title: fullScope },
        h('span', { class: 'member-sev', text: severity }),
        h('span', { class: 'member-title', text: title }),
        h('span', { class: 'member-scope', text: scope }),
        value !== '—' ? h('span', { class: 'member-value', text: value }) : null)));
  }

  /** What was done about the alert (from the snapshot's history and later pushes) and its state. */
  function renderNotes(list, alert) {
    const lines = [];
    const clock = (at) => new Date(at + state.clockOffsetMs).toLocaleTimeString();
    const when = (at) => (at ? ' at ' + clock(at) : '');
    let escalations = 0;
    for (const e of alert.history.slice(-8)) {
      const by = e.actor && e.actor !== 'escalation-policy' ? ' by ' + e.actor : '';
      if (e.transition === 'noted') lines.push((e.actor ? e.actor + ': ' : '') + (e.note || '') + ' (' + clock(e.at) + ')');
      else if (e.transition === 'escalated') {
        escalations += 1;
        lines.push('Escalated' + (e.note ? ' to ' + e.note : '') + by + when(e.at));
      } else if (e.transition === 'snoozed') lines.push('Snoozed' + by + when(e.at));
      else if (e.transition === 'joined') lines.push('Joined' + by + when(e.at));
    }
    if (!escalations && alert.escalation_level > 0 && (alert.acknowledged || alert.escalation_note)) {
      lines.push('Escalated (level ' + alert.escalation_level + ')' +
        (alert.escalation_note ? ' — ' + alert.escalation_note : ''));
    }
    if (isSnoozed(alert)) {
      lines.push('Snoozed' + (alert.snoozed_until ? ' until ' + clock(alert.snoozed_until) : '') +
        ' — muted: no sound, no pages');
    }
    if (alert.flapping) lines.push('Flapping — notifications paused until it is stable');
    if (alert.no_data_since) {
      lines.push('No data since ' + clock(alert.no_data_since) + ' — last state kept');
    }
    if (alert.resolved_at) lines.push('Resolved' + (alert.resolved_by ? ' by ' + alert.resolved_by : ''));
    const key = lines.join('\n');
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...lines.map((line) => h('li', { text: line })));
  }

  /** The action buttons this user's role may use (docs/security.md#who-may-do-what). */
  function allowedActions() {
    if (state.you && Array.isArray(state.you.actions)) return state.you.actions.map(String);
    const role = state.principal && state.principal.role;
    return ROLE_ACTIONS[role] || [];
  }

  function updateAlertActions(node, alert, resolvedList, guidance) {
    const actions = node.querySelector('.alert-actions');
    const allowed = allowedActions();
    actions.hidden = resolvedList || (allowed.length === 0 && !state.token);
    // Every button names its alert: "Acknowledge: Service level under target, billing".
    const label = (RULE_TITLES[displayRule(alert)] || cardTitle(alert, state.alerts.values())) + ', ' + whereShort(alert);
    for (const button of actions.querySelectorAll('button[data-action]')) {
      const action = button.dataset.action;
      button.hidden = allowed.indexOf(action) < 0;
      button.setAttribute('aria-label', button.textContent.trim() + ': ' + label);
    }
    const ack = actions.querySelector('[data-action="ack"]');
    const hadFocus = document.activeElement === ack;
    // Busy is aria-disabled, not disabled: a disabled button drops the keyboard focus.
    ack.setAttribute('aria-disabled', String(ack.dataset.busy === '1'));
    // Once acknowledged the timer line says by whom; the button goes (keyboard focus moves on to Note).
    ack.hidden = alert.acknowledged || allowed.indexOf('ack') < 0;
    setText(ack, ack.dataset.busy === '1' ? 'Acknowledging…' : 'Acknowledge');
    ack.setAttribute('aria-label', ack.textContent + ': ' + label);
    if (hadFocus && ack.hidden) {
      const next = actions.querySelector('button[data-action]:not([hidden])');
      if (next) next.focus();
    }
    // A snoozed alert cannot be escalated (the server refuses it): the button goes while it is muted.
    const escalate = actions.querySelector('[data-action="escalate"]');
    escalate.hidden = escalate.hidden || alert.acknowledged || isMuted(alert);
    const links = guidance.rule_links.slice();
    if (!links.some((l) => l.kind === 'join' || /^join\b/i.test(l.label)) && isWebLink(guidance.link)) {
      links.unshift({ label: 'Join', url: guidance.link, kind: 'join' });
    }
    const join = actions.querySelector('[data-action="join"]');
    const first = links[0] || null;
    if (first) {
      join.setAttribute('href', first.url);
      join.removeAttribute('aria-disabled');
      setText(join, first.label);
      join.title = 'Opens in a new tab';
    } else {
      join.removeAttribute('href');
      join.setAttribute('aria-disabled', 'true');
      setText(join, 'Join');
      join.title = 'No live session link for this alert';
    }
    join.setAttribute('aria-label', join.textContent + ': ' + label + (first ? '' : ' (no link)'));
    renderRuleLinks(actions.querySelector('.rule-links'), links.slice(1), label);
    const form = node.querySelector('.alert-form');
    const wanted = resolvedList || state.readOnly ? null : openForms.get(alert.alert_id) || null;
    if ((form.dataset.kind || null) !== wanted) renderAlertForm(form, alert.alert_id, wanted);
  }

  /** The rule's further action links (listen in, the platform's monitoring page, a runbook). */
  function renderRuleLinks(box, links, label) {
    const key = JSON.stringify(links) + label;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(...links.map((link) => h('a', { class: 'btn', href: link.url, target: '_blank',
      rel: 'noopener noreferrer', 'data-action': 'link', 'data-kind': link.kind,
      'aria-label': link.label + ': ' + label, text: link.label })));
  }

  /** Only http(s) deep links become Join: never a javascript: URL from a rules file. */
  function isWebLink(link) {
    try {
      return ['http:', 'https:'].indexOf(new URL(String(link)).protocol) >= 0;
    } catch (err) {
      return false;
    }
  }

  function updateAlertClock(node, alert, resolvedList) {
    const now = Date.now();
    const start = alertStartClient(alert);
    const ended = resolvedList && alert.resolved_at ? alert.resolved_at + state.clockOffsetMs : now;
    const age = formatDuration((ended - start) / 1000);
    // Without a trustworthy opening time, say what is known: how long it has been on this screen.
    const prefix = alertClockTrusted(alert) || alert.seen_live ? '' : 'seen ';
    setText(node.querySelector('.alert-age'), resolvedList ? 'open ' + age : prefix + age + ' ago');
    const timer = node.querySelector('.ack-timer');
    let elapsed;
    let text;
    if (alert.acknowledged) {
      const ackAt = alert.acknowledged_at !== null ? alert.acknowledged_at + state.clockOffsetMs : now;
      elapsed = Math.max(0, (ackAt - start) / 1000);
      text = 'Acknowledged' + (alert.acknowledged_by ? ' by ' + alert.acknowledged_by : '') +
        ' in ' + formatDuration(elapsed);
    } else if (resolvedList) {
      elapsed = Math.max(0, (ended - start) / 1000);
      text = 'Resolved without acknowledgement';
    } else if (isMuted(alert)) {
      elapsed = 0;
      text = isSnoozed(alert) ? 'Snoozed' + (alert.snoozed_until ? ' until ' +
        new Date(alert.snoozed_until + state.clockOffsetMs).toLocaleTimeString() : '') + ' — no clock while muted'
        : 'Muted while it flaps — no clock';
    } else if (alert.escalation_level > 0) {
      // The server escalates only what was not acknowledged in time, whatever this page counted.
      elapsed = Math.max(alert.ack_target + 1, (now - start) / 1000);
      text = 'Not acknowledged in time — escalated to level ' + alert.escalation_level;
    } else {
      elapsed = Math.max(0, (now - start) / 1000);
      const left = alert.ack_target - elapsed;
      text = left >= 0 ? 'Acknowledge within ' + formatDuration(left)
        : 'Unacknowledged — ' + formatDuration(-left) + ' past the ' + alert.ack_target + ' s target';
    }
    const over = elapsed > alert.ack_target;
    const muted = !resolvedList && !alert.acknowledged && isMuted(alert);
    timer.classList.toggle('is-muted', muted);
    timer.dataset.state = muted ? 'muted' : alert.acknowledged ? (over ? 'late' : 'met') : over ? 'over' : 'running';
    setTimerBar(timer, 'Acknowledgement clock', elapsed, alert.ack_target);
    setText(timer.querySelector('.timer-text'), text);
    updateActionClock(node.querySelector('.act-timer'), alert, resolvedList, start, now);
  }

  function setTimerBar(timer, label, elapsed, target) {
    const barNode = timer.querySelector('.timer-bar');
    barNode.setAttribute('aria-valuemax', String(target));
    barNode.querySelector('span').style.width = Math.round(Math.min(1, elapsed / target) * 100) + '%';
    barNode.setAttribute('aria-valuenow', String(Math.round(Math.min(elapsed, target))));
    barNode.setAttribute('aria-label', label);
  }

  /**
   * After the acknowledgement, the second half of the floor's target: act (a note, an escalation,
   * a join, a resolve) within 90 s of the opening. The server records "acted"; this page shows it.
   */
  function updateActionClock(timer, alert, resolvedList, start, now) {
    const show = alert.acknowledged && !(resolvedList && alert.acted_at === null);
    timer.hidden = !show;
    if (!show) return;
    let elapsed;
    let text;
    if (alert.acted_at !== null) {
      elapsed = Math.max(0, (alert.acted_at + state.clockOffsetMs - start) / 1000);
      text = 'Acted' + (alert.acted_how ? ' (' + alert.acted_how + (alert.acted_by ? ' by ' + alert.acted_by : '') + ')'
        : alert.acted_by ? ' by ' + alert.acted_by : '') + ' ' + formatDuration(elapsed) + ' after opening';
    } else if (isMuted(alert)) {
      elapsed = 0;
      text = 'Snoozed — no action clock while muted';
    } else {
      elapsed = Math.max(0, (now - start) / 1000);
      const left = alert.act_target - elapsed;
      text = left >= 0 ? 'Act within ' + formatDuration(left) + ' (note, escalate, join or resolve)'
        : 'No action yet — ' + formatDuration(-left) + ' past the ' + alert.act_target + ' s target';
    }
    const over = elapsed > alert.act_target;
    timer.dataset.state = alert.acted_at !== null ? (over ? 'late' : 'met') : isMuted(alert) ? 'muted'
      : over ? 'over' : 'running';
    setTimerBar(timer, 'Action clock', elapsed, alert.act_target);
    setText(timer.querySelector('.timer-text'), text);
  }

  /** Put list items in the wanted order, moving only what is out of place (keeps focus stable). */
  function syncList(list, nodes) {
    const focused = document.activeElement;
    nodes.forEach((node, index) => {
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    while (list.children.length > nodes.length) list.lastElementChild.remove();
    if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
  }

  /**
   * What the feed shows: one card per problem. An incident shows when it or one of its members passes
   * the filters; a member whose incident card shows is listed inside it instead of having a card.
   */
  function visibleCards(alerts, passes) {
    const admits = passes || passesFilters;
    const passing = alerts.filter(admits);
    const incidents = new Set(alerts.filter((a) => isIncident(a) && (admits(a) ||
      passing.some((m) => m.incident_id === a.alert_id))).map((a) => a.alert_id));
    // A member someone is acting on (its note or snooze form open) keeps its card until they finish:
    // an incident forming at that moment must not take the form, and what was typed, away.
    return alerts.filter((a) => (isIncident(a) ? incidents.has(a.alert_id)
      : admits(a) && !(a.incident_id && incidents.has(a.incident_id) && !openForms.has(a.alert_id))));
  }

  function renderAlerts() {
    const all = Array.from(state.alerts.values());
    const visible = visibleCards(all).sort(compareAlerts);
    const nodes = visible.map((alert) => {
      let node = alertNodes.get(alert.alert_id);
      if (!node) {
        node = createAlertNode(alert);
        alertNodes.set(alert.alert_id, node);
      }
      updateAlertNode(node, alert, false, all);
      return node;
    });
    for (const id of Array.from(alertNodes.keys())) {
      if (!state.alerts.has(id)) {
        alertNodes.delete(id);
        openForms.delete(id);
      }
    }
    syncList($('alerts'), nodes);
    $('alerts-empty').hidden = nodes.length > 0;
    // Members listed inside a shown incident are not "filtered": only what the filters hid counts.
    const hidden = visibleCards(all, () => true).length - nodes.length;
    setText($('alert-count'), hidden > 0 ? nodes.length + ' (+' + hidden + ' filtered)' : String(nodes.length));
    renderResolved();
    refreshFilterOptions();
  }

  function renderResolved() {
    const visible = visibleCards(state.resolved);
    const nodes = visible.map((alert) => {
      const node = createAlertNode(alert);
      updateAlertNode(node, alert, true, state.resolved);
      return node;
    });
    $('resolved').replaceChildren(...nodes);
    setText($('resolved-count'), String(visible.length));
  }

  function tickClocks() {
    for (const [id, node] of alertNodes) {
      const alert = state.alerts.get(id);
      if (alert) updateAlertClock(node, alert, false);
    }
    renderTilesFreshness();
    setText($('clock'), new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  }

  // ---------------------------------------------------------------------------------------------
  // Alert actions (inline forms instead of prompt(): keyboard and screen-reader friendly)
  // ---------------------------------------------------------------------------------------------

  const SNOOZE_CHOICES = [5, 15, 30, 60];

  function renderAlertForm(form, alertId, kind) {
    form.dataset.kind = kind || '';
    if (!kind) {
      form.hidden = true;
      form.replaceChildren();
      return;
    }
    form.hidden = false;
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: 'Cancel' });
    cancel.addEventListener('click', () => closeForm(alertId));
    if (kind === 'snooze') {
      const buttons = SNOOZE_CHOICES.map((minutes) => {
        const b = h('button', { type: 'button', class: 'btn', text: minutes + ' min' });
        b.addEventListener('click', () => {
          sendAction('snooze', alertId, { minutes: minutes }, b);
          closeForm(alertId);
        });
        return b;
      });
      form.replaceChildren(h('div', { class: 'form-row', role: 'group', 'aria-label': 'Snooze for' },
        h('span', { class: 'form-label', text: 'Snooze for' }), ...buttons, cancel));
      buttons[1].focus();
      return;
    }
    if (kind === 'escalate' || kind === 'resolve') {
      const escalate = kind === 'escalate';
      const confirm = h('button', { type: 'button', class: 'btn btn-danger', text: escalate ? 'Escalate now' : 'Resolve now' });
      confirm.addEventListener('click', () => {
        sendAction(kind, alertId, {}, confirm);
        closeForm(alertId);
      });
      form.replaceChildren(h('div', { class: 'form-row' },
        h('span', { class: 'form-label', text: escalate ? 'Page the next level of the escalation chain?'
          : 'Close this alert now? (It opens again if the condition persists.)' }), confirm, cancel));
      confirm.focus();
      return;
    }
    const isNote = kind === 'note';
    const inputId = 'form-' + kind + '-' + alertId.replace(/[^A-Za-z0-9_-]/g, '_');
    const input = h('input', { id: inputId, type: 'text', class: 'input', maxlength: '500', autocomplete: 'off',
      placeholder: isNote ? 'What did you do or see?' : 'Why is it not useful? (optional)' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: isNote ? 'Add note' : 'Send feedback' });
    const wrapper = h('form', { class: 'form-row' },
      h('label', { for: inputId, class: 'form-label', text: isNote ? 'Note' : 'Not useful' }), input, submit, cancel);
    wrapper.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (isNote && !text) {
        input.focus();
        return;
      }
      if (isNote) sendAction('note', alertId, { text: text }, submit);
      else sendAction('feedback', alertId, { useful: false, reason: text }, submit);
      closeForm(alertId);
    });
    wrapper.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeForm(alertId);
    });
    form.replaceChildren(wrapper);
    input.focus();
  }

  function closeForm(alertId) {
    openForms.delete(alertId);
    renderAlerts();
    const node = alertNodes.get(alertId);
    if (node) (node.querySelector('[data-action="ack"]:not([disabled])') || node).focus();
  }

  function onAlertAction(event, alertId) {
    const target = event.target.closest('[data-action]');
    if (!target || state.readOnly || target.dataset.busy === '1') return;
    const action = target.dataset.action;
    if (action === 'join' || action === 'link') {
      if (!target.hasAttribute('href')) {
        event.preventDefault();
        return;
      }
      // Opening the live session (Join / Monitor) is acting on the alert: the server records it.
      const kind = action === 'join' ? target.dataset.kind || 'join' : target.dataset.kind;
      if ((kind === 'join' || kind === 'monitor') && allowedActions().indexOf('join') >= 0) {
        sendAction('join', alertId, {}, null, true);
      }
      return;
    }
    if (action === 'ack') {
      sendAction('ack', alertId, {}, target);
      return;
    }
    openForms.set(alertId, openForms.get(alertId) === action ? null : action);
    if (!openForms.get(alertId)) openForms.delete(alertId);
    renderAlerts();
  }

  // ---------------------------------------------------------------------------------------------
  // Connection: connect, subscribe, resync, reconnect with backoff
  // ---------------------------------------------------------------------------------------------

  const conn = {
    ws: null,
    attempt: 0,
    everLive: false,
    reconnectTimer: null,
    reconnectAt: null,
    refreshTimer: null,
    requestSeq: 0,
    openedAt: null, // when the current socket started connecting (client ms)
    lastMessageAt: null, // when the server last said anything: the heartbeat
    silentMs: 0, // how long the page has been running since then (see HEARTBEAT_CHECK_CAP_MS)
    pinged: false, // a ping went out during this silence
    lastCheckAt: null, // when the heartbeat was last checked (client ms)
    notLiveSince: null, // the last moment the page was known live, while it is not
    snapshotRequests: new Map(), // request_id -> sent at (client ms)
    pending: new Map(), // request_id -> {action, alertId, button, timer}
  };

  function setConnection(status, text) {
    const box = $('connection');
    box.dataset.state = status;
    setText($('connection-text'), text);
    $('reconnect-now').hidden = status !== 'reconnecting';
    renderLiveness(status === 'live');
  }

  /**
   * Not live (socket closed, stalled or resyncing after being live): say since when, prominently, and
   * grey the clocks, which count on but can no longer be trusted to match the server.
   */
  function renderLiveness(live) {
    if (live) {
      conn.notLiveSince = null;
    } else if (conn.everLive && conn.notLiveSince === null) {
      conn.notLiveSince = conn.lastMessageAt || Date.now();
    }
    const notLive = conn.notLiveSince !== null;
    document.body.classList.toggle('not-live', notLive);
    const box = $('not-live');
    const text = notLive ? 'Not live since ' + new Date(conn.notLiveSince).toLocaleTimeString() +
      ': alerts, values and clocks may be out of date. Reconnecting…' : '';
    box.hidden = !notLive;
    setText(box, text);
  }

  function notLiveLabel() {
    return conn.notLiveSince === null ? 'Offline' : 'Not live since ' + new Date(conn.notLiveSince).toLocaleTimeString();
  }

  /** Something came from the server (or the socket opened): the heartbeat, whatever the message. */
  function heard() {
    conn.lastMessageAt = Date.now();
    conn.silentMs = 0;
    conn.pinged = false;
  }

  /**
   * The heartbeat's verdict at one check, as a pure function (unit-tested without a browser).
   * `beat`: {silentMs, lastCheckAt, pinged} (updated in place; a message heard resets silentMs and
   * pinged); `socket`: 'live' | 'syncing' (open, first snapshot awaited) | 'connecting' | 'none'.
   * Answers 'wait', 'ping' (silent long enough to ask, or the page was held up: prove the socket now
   * rather than judge it), 'resync' (held up before the first snapshot: ask for it again) or 'drop'
   * (stalled: open, but nothing for the deadline of the page's running time; no close ever comes).
   * Time the page did not run (a late check) counts at most HEARTBEAT_CHECK_CAP_MS.
   */
  function heartbeatVerdict(beat, now, socket) {
    const elapsed = beat.lastCheckAt === null ? HEARTBEAT_CHECK_MS : Math.max(0, now - beat.lastCheckAt);
    beat.lastCheckAt = now;
    if (socket === 'none') return 'wait';
    beat.silentMs += Math.min(elapsed, HEARTBEAT_CHECK_CAP_MS);
    const late = elapsed > HEARTBEAT_CHECK_CAP_MS;
    const live = socket === 'live';
    const deadline = live ? HEARTBEAT_DEADLINE_MS : FIRST_SNAPSHOT_DEADLINE_MS;
    if (socket === 'connecting') return !late && beat.silentMs >= deadline ? 'drop' : 'wait';
    if (late) {
      // The page was held up: ask now rather than judge, and give the answer time to come.
      beat.silentMs = Math.min(beat.silentMs, live ? PING_AFTER_SILENCE_MS : deadline - PING_AFTER_SILENCE_MS);
      beat.pinged = live;
      return live ? 'ping' : 'resync';
    }
    if (beat.silentMs >= deadline) return 'drop';
    if (live && !beat.pinged && beat.silentMs >= PING_AFTER_SILENCE_MS) {
      beat.pinged = true;
      return 'ping';
    }
    return 'wait';
  }

  function checkHeartbeat() {
    const ws = conn.ws;
    let socket = 'none';
    if (ws && ws.readyState === WebSocket.OPEN) socket = $('connection').dataset.state === 'live' ? 'live' : 'syncing';
    else if (ws && ws.readyState === WebSocket.CONNECTING) socket = 'connecting';
    const verdict = heartbeatVerdict(conn, Date.now(), socket);
    if (verdict === 'ping') sendPing();
    else if (verdict === 'resync') requestSnapshot('refresh');
    else if (verdict === 'drop') dropSocket(ws, 'The connection stalled before the server answered.');
  }

  /** The heartbeat message: answered by the API itself, so it costs no table read (docs/protocol.md). */
  function sendPing() {
    if ($('connection').dataset.state === 'live') send({ action: 'ping' });
  }

  function dropSocket(ws, reason) {
    if (conn.ws !== ws) return;
    conn.ws = null; // its late events, if any, are ignored from now on
    stopTimers();
    try {
      ws.close(4000, 'heartbeat missed');
    } catch (err) {
      /* already closing */
    }
    failPending(reason);
    scheduleReconnect(); // after being live the first retry comes within a second; repeated stalls back off
  }

  function nextRequestId(prefix) {
    conn.requestSeq += 1;
    return prefix + '-' + conn.requestSeq;
  }

  function send(message) {
    if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(JSON.stringify(message));
    return true;
  }

  function requestSnapshot(action) {
    const requestId = nextRequestId(action);
    const message = action === 'subscribe' ? { action: 'subscribe', scopes: ['*'], request_id: requestId }
      : { action: 'refresh', request_id: requestId };
    if (send(message)) conn.snapshotRequests.set(requestId, Date.now());
    // Answers that never come should not pile up.
    if (conn.snapshotRequests.size > 20) conn.snapshotRequests.delete(conn.snapshotRequests.keys().next().value);
  }

  /** The periodic tiles refresh: not while the page is hidden (it refreshes when it comes back into view). */
  function periodicRefresh() {
    if (document.visibilityState !== 'hidden') refreshUnlessWaiting();
  }

  function stopTimers() {
    clearInterval(conn.refreshTimer);
  }

  /** A refresh, unless the previous one is still unanswered (a busy backend gets no pile of them). */
  function refreshUnlessWaiting() {
    const waiting = Array.from(conn.snapshotRequests.values());
    if (waiting.length && Date.now() - Math.min(...waiting) < REFRESH_MS * 2) return;
    requestSnapshot('refresh');
  }

  function connect() {
    clearTimeout(conn.reconnectTimer);
    conn.reconnectTimer = null;
    if (!state.token) {
      setConnection('offline', 'No token');
      showBanner('No token in the address: open the dashboard link you were given (it ends in ?token=…) once on ' +
        'this device; after that, links from SMS and e-mail open here directly.');
      return;
    }
    let url;
    try {
      url = webSocketUrl(window.location.href, state.token);
    } catch (err) {
      setConnection('offline', 'Bad ws address');
      showBanner('The `ws` parameter is not a valid WebSocket URL.');
      return;
    }
    setConnection('connecting', conn.attempt ? 'Reconnecting…' : 'Connecting…');
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    conn.ws = ws;
    conn.openedAt = Date.now();
    conn.silentMs = 0; // a new socket's silence counts from its start
    conn.snapshotRequests.clear(); // answers on an earlier socket never come
    ws.addEventListener('open', () => {
      if (conn.ws !== ws) return;
      heard();
      setConnection('syncing', 'Syncing…');
      requestSnapshot('subscribe'); // on every (re)connect: the snapshot resyncs what we missed
      stopTimers();
      conn.refreshTimer = setInterval(periodicRefresh, REFRESH_MS);
    });
    ws.addEventListener('message', (event) => {
      if (conn.ws !== ws) return;
      heard(); // any message counts, before it is handled (a large snapshot may take a while to draw)
      onMessage(event.data);
    });
    ws.addEventListener('close', () => {
      if (conn.ws !== ws) return;
      conn.ws = null;
      stopTimers();
      failPending('Connection lost before the server answered.');
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    const exp = state.principal && Number(state.principal.exp);
    if (exp && exp * 1000 < Date.now()) {
      showBanner('Your token has expired: ask for a new dashboard link.');
    } else if (!conn.everLive && conn.attempt >= 2) {
      showBanner('Cannot reach the live feed: is the runtime running, and is the token valid?');
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, conn.attempt));
    const delay = Math.round(ceiling * (0.5 + Math.random() * 0.5)); // jitter: a floor of screens must not reconnect in step
    conn.attempt += 1;
    conn.reconnectAt = Date.now() + delay;
    updateReconnectCountdown();
    conn.reconnectTimer = setTimeout(connect, delay);
  }

  function updateReconnectCountdown() {
    if (!conn.reconnectTimer && conn.reconnectAt === null) return;
    if (conn.ws) return;
    const left = Math.max(0, Math.ceil((conn.reconnectAt - Date.now()) / 1000));
    setConnection('reconnecting', notLiveLabel() + ' — retrying in ' + left + ' s');
  }

  function failPending(message) {
    for (const [requestId, pending] of conn.pending) {
      clearTimeout(pending.timer);
      settleButton(pending);
      if (!pending.quiet) toast(actionLabel(pending.action) + ' not confirmed: ' + message, 'error');
      conn.pending.delete(requestId);
    }
  }

  function actionLabel(action) {
    return { ack: 'Acknowledge', snooze: 'Snooze', note: 'Note', feedback: 'Feedback', escalate: 'Escalate',
      resolve: 'Resolve', join: 'Join' }[action] || humanize(action);
  }

  function settleButton(pending) {
    if (!pending.button) return;
    delete pending.button.dataset.busy;
    pending.button.removeAttribute('aria-busy');
    pending.button.removeAttribute('aria-disabled');
    renderAlerts();
  }

  /** Send an action; `quiet`: a refusal is not worth a message (recording a join). */
  function sendAction(action, alertId, extra, button, quiet) {
    if (state.readOnly) return;
    const requestId = nextRequestId(action);
    const message = Object.assign({ action: action, alert_id: alertId, request_id: requestId }, extra || {});
    if (!send(message)) {
      if (!quiet) toast('Not connected: ' + actionLabel(action).toLowerCase() + ' was not sent. Try again when live.', 'error');
      return;
    }
    const pending = { action: action, alertId: alertId, button: button || null, timer: null, extra: extra || {},
      quiet: Boolean(quiet) };
    if (button) {
      button.dataset.busy = '1';
      button.setAttribute('aria-busy', 'true');
      button.setAttribute('aria-disabled', 'true');
    }
    pending.timer = setTimeout(() => {
      conn.pending.delete(requestId);
      settleButton(pending);
      if (!quiet) toast(actionLabel(action) + ': no answer from the server yet.', 'error');
    }, ACTION_TIMEOUT_MS);
    conn.pending.set(requestId, pending);
    if (action === 'ack') renderAlerts();
  }

  function onMessage(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (err) {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (!msg.type && msg.message) {
      // API Gateway's own answers ({"message": "Internal server error"} / "Forbidden") carry no type.
      toast('Server: ' + msg.message, 'error');
      return;
    }
    switch (msg.type) {
      case 'snapshot':
        onSnapshot(msg);
        break;
      case 'transition':
        onTransition(msg);
        break;
      case 'ok':
        onActionAnswer(msg, null);
        break;
      case 'error':
        onActionAnswer(msg, msg.message || msg.code || 'the server refused');
        break;
      case 'pong': // the heartbeat's answer: hearing it was the point (heard() ran already)
      default:
        break;
    }
  }

  function onSnapshot(msg) {
    const requestedAt = conn.snapshotRequests.has(msg.request_id) ? conn.snapshotRequests.get(msg.request_id) : null;
    conn.snapshotRequests.delete(msg.request_id);
    applySnapshot(msg, requestedAt, Date.now());
    if ($('connection').dataset.state !== 'live') {
      conn.attempt = 0;
      conn.everLive = true;
      conn.reconnectAt = null;
      showBanner(tokenBanner());
      setConnection('live', 'Live');
    }
    renderTiles();
    renderAlerts();
    revealLinkedAlert();
  }

  /* SMS and e-mail links end in #a=<alert_id>: bring that alert's card into view and focus, once. */
  let linkedAlertShown = false;
  function revealLinkedAlert() {
    if (linkedAlertShown) return;
    const match = /^#a=(.+)$/.exec(window.location.hash);
    if (!match) return;
    const node = cardNodeFor(decodeURIComponent(match[1])); // a member's link focuses its incident
    if (!node || !document.contains(node)) return;
    linkedAlertShown = true;
    node.classList.add('linked');
    node.scrollIntoView({ block: 'center' });
    node.focus();
  }

  function onTransition(msg) {
    const result = applyTransition(msg, Date.now());
    if (result.outcome === 'duplicate' || result.outcome === 'ignored') return;
    renderAlerts();
    const alert = result.alert;
    if (!alert || !passesFilters(alert)) return;
    // One problem, one announcement: a member's news is its incident's when the page holds that incident.
    if (!isIncident(alert) && alert.incident_id && state.alerts.has(alert.incident_id)) return;
    const title = cardTitle(alert, state.alerts.values());
    if (result.outcome === 'opened' || result.outcome === 'upgraded') {
      const verb = result.outcome === 'opened' ? 'New' : 'Upgraded to';
      const muted = msg.notify === false || isMuted(alert);
      // An incident formed around an alert that just rang is the same problem: it does not ring again.
      const rungAlready = isIncident(alert) && heldMembers(alert, state.alerts.values()).some((m) => {
        const rung = state.rung.get(m.alert_id);
        return rung && Date.now() - rung.at < RING_GROUP_MS && SEVERITY_RANK[rung.severity] >= SEVERITY_RANK[alert.severity];
      });
      const quiet = muted || rungAlready;
      announce(verb + ' ' + alert.severity + ' alert' + (muted ? ' (muted)' : '') + ': ' + title + ', ' +
        whereShort(alert), alert.severity === 'critical' && !quiet);
      if (quiet) return; // snoozed or flapping, or already rung as its member: shown, not rung
      ring(alert, title);
    } else if (result.outcome === 'resolved') {
      announce('Resolved: ' + title + ', ' + describeScope(alert.scope), false);
    } else if (msg.transition === 'acknowledged') {
      announce('Acknowledged' + (alert.acknowledged_by ? ' by ' + alert.acknowledged_by : '') + ': ' + title, false);
    }
  }

  /** The one sound (and desktop notification) for a new or worse problem; remembered per alert. */
  function ring(alert, title) {
    state.rung.set(alert.alert_id, { at: Date.now(), severity: alert.severity });
    if (state.rung.size > SEEN_KEEP) state.rung.delete(state.rung.keys().next().value);
    if (alert.severity === 'info') return;
    state.rings.push({ alert_id: alert.alert_id, severity: alert.severity });
    if (state.rings.length > 100) state.rings.shift();
    beep(alert.severity);
    desktopNotify(alert, title);
  }

  function onActionAnswer(msg, errorText) {
    const pending = msg.request_id ? conn.pending.get(msg.request_id) : null;
    if (pending) {
      clearTimeout(pending.timer);
      conn.pending.delete(msg.request_id);
      settleButton(pending);
    }
    const action = msg.action || (pending && pending.action) || '';
    if (errorText !== null) {
      if (!(pending && pending.quiet)) toast((action ? actionLabel(action) + ' failed: ' : '') + errorText, 'error');
      return;
    }
    const alertId = msg.alert_id || (pending && pending.alertId);
    const alert = alertId ? state.alerts.get(alertId) : null;
    if (action === 'ack' && alert && !alert.acknowledged) {
      // The `acknowledged` transition follows through the fan-out; show the result at once.
      alert.acknowledged = true;
      alert.acknowledged_by = alert.acknowledged_by || (state.principal && state.principal.sub) || 'you';
      alert.acknowledged_at = serverNow();
      alert.updated_at = Date.now();
      renderAlerts();
    }
    if (alert && action === 'snooze' && pending && pending.extra.minutes) {
      // The `snoozed` transition follows; until then (and whatever a snapshot's status says) it is muted.
      alert.snoozed_until = serverNow() + pending.extra.minutes * 60000;
      renderAlerts();
    }
    if (alert && ACTING_ACTIONS.has(action) && alert.acted_at === null) {
      alert.acted_at = serverNow();
      alert.acted_by = (state.principal && state.principal.sub) || 'you';
      alert.acted_how = action;
      renderAlerts();
    }
    const done = { snooze: 'Snoozed', note: 'Note added', feedback: 'Thanks — feedback recorded',
      escalate: 'Escalated', resolve: 'Resolved' }[action];
    if (done) toast(done, 'ok');
  }

  // ---------------------------------------------------------------------------------------------
  // Sound and desktop notifications (both opt-in)
  // ---------------------------------------------------------------------------------------------

  let audioContext = null;

  function beep(severity) {
    if (!state.sound || !audioContext) return;
    const pattern = severity === 'critical' ? [0, 0.22] : [0];
    for (const offset of pattern) {
      const osc = audioContext.createOscillator();
      const gain = audioContext.createGain();
      const start = audioContext.currentTime + offset;
      osc.type = 'sine';
      osc.frequency.value = severity === 'critical' ? 880 : 660;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(audioContext.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    }
  }

  function desktopNotify(alert, title) {
    if (!state.notify || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    if (alert.severity !== 'critical' && !document.hidden) return;
    try {
      const n = new Notification(alert.severity.toUpperCase() + ': ' + title, {
        body: alertDetail(alert),
        tag: alert.alert_id,
        requireInteraction: alert.severity === 'critical',
      });
      n.onclick = () => {
        window.focus();
        const node = cardNodeFor(alert.alert_id);
        if (node) node.focus();
      };
    } catch (err) {
      /* some browsers only allow notifications from a service worker */
    }
  }

  function renderToggles() {
    const sound = $('toggle-sound');
    sound.setAttribute('aria-pressed', String(state.sound));
    setText(sound, state.sound ? 'Sound on' : 'Sound off');
    const notify = $('toggle-notify');
    notify.setAttribute('aria-pressed', String(state.notify));
    setText(notify, state.notify ? 'Notifications on' : 'Notifications off');
  }

  function toggleSound() {
    state.sound = !state.sound;
    if (state.sound) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) {
        state.sound = false;
        toast('This browser cannot play sounds.', 'error');
      } else {
        audioContext = audioContext || new Ctx(); // created on a click: browsers allow audio after a gesture
        audioContext.resume();
        beep('warning');
      }
    }
    savePreferences();
    renderToggles();
  }

  function toggleNotify() {
    if (state.notify) {
      state.notify = false;
      savePreferences();
      renderToggles();
      return;
    }
    if (typeof Notification === 'undefined') {
      toast('This browser does not support desktop notifications.', 'error');
      return;
    }
    const enable = (permission) => {
      state.notify = permission === 'granted';
      if (!state.notify) toast('Desktop notifications are blocked for this page in the browser settings.', 'error');
      savePreferences();
      renderToggles();
    };
    if (Notification.permission === 'default') Notification.requestPermission().then(enable, () => enable('denied'));
    else enable(Notification.permission);
  }

  // ---------------------------------------------------------------------------------------------
  // Filters and preferences
  // ---------------------------------------------------------------------------------------------

  function savePreferences() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ filters: state.filters, notify: state.notify }));
    } catch (err) {
      /* private mode: preferences last for this page only */
    }
  }

  function loadPreferences() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
      if (saved.filters) Object.assign(state.filters, saved.filters);
      state.notify = Boolean(saved.notify) && typeof Notification !== 'undefined' &&
        Notification.permission === 'granted';
    } catch (err) {
      /* ignore unreadable preferences */
    }
    // Sound stays off on load: browsers refuse audio until the user clicks anyway.
  }

  function fillSelect(select, values, allLabel, current) {
    const wanted = [''].concat(values);
    if (current && wanted.indexOf(current) < 0) wanted.push(current);
    const key = wanted.join('\n');
    if (select.dataset.key !== key) {
      select.dataset.key = key;
      select.replaceChildren(...wanted.map((value) =>
        h('option', { value: value, text: value ? humanize(value) : allLabel })));
    }
    select.value = current || '';
  }

  function refreshFilterOptions() {
    const teams = new Set();
    const queues = new Set();
    const principal = state.principal || {};
    for (const t of Array.isArray(principal.teams) ? principal.teams : []) teams.add(String(t));
    for (const tile of state.tiles) {
      queues.add(tileQueueId(tile));
      if (tile.team_id) teams.add(String(tile.team_id));
    }
    for (const alert of state.alerts.values()) {
      if (alert.team_id) teams.add(alert.team_id);
      if (alert.queue_id) queues.add(alert.queue_id);
    }
    fillSelect($('filter-team'), Array.from(teams).sort(), 'All teams', state.filters.team);
    fillSelect($('filter-queue'), Array.from(queues).filter(Boolean).sort(), 'All queues', state.filters.queue);
    $('filter-severity').value = state.filters.severity;
  }

  function onFilterChange() {
    state.filters = {
      team: $('filter-team').value,
      queue: $('filter-queue').value,
      severity: $('filter-severity').value || 'info',
    };
    savePreferences();
    renderTiles();
    renderAlerts();
  }

  // ---------------------------------------------------------------------------------------------
  // Ops outbox (local runtime only: GET /outbox lists what SNS would have sent)
  // ---------------------------------------------------------------------------------------------

  const outbox = { url: null, timer: null, lastKey: null };

  function outboxUrl() {
    const page = new URL(window.location.href);
    const override = page.searchParams.get('outbox');
    if (override) return new URL(override, page).toString();
    // A `ws` parameter means the page is not on the local gateway (AWS: SNS really sends).
    if (page.searchParams.get('ws')) return null;
    if (page.protocol !== 'http:' && page.protocol !== 'https:') return null;
    return new URL('/outbox', page).toString();
  }

  async function pollOutbox() {
    let delay = OUTBOX_MS;
    try {
      const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
      const response = await fetch(outbox.url, { headers: headers, cache: 'no-store' });
      if (response.status === 404 || response.status === 403) { // S3 behind CloudFront answers 403
        // Not the local runtime (in AWS, SNS really sends): the panel has nothing to show.
        $('outbox-panel').hidden = true;
        return;
      }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      renderOutbox(outboxItems(await response.json()));
      setText($('outbox-status'), 'checked ' + new Date().toLocaleTimeString());
    } catch (err) {
      setText($('outbox-status'), 'unavailable (' + (err && err.message ? err.message : 'error') + ')');
      delay = OUTBOX_MS * 3;
    }
    outbox.timer = setTimeout(pollOutbox, delay);
  }

  function renderOutbox(items) {
    const key = JSON.stringify(items);
    if (key === outbox.lastKey) return;
    outbox.lastKey = key;
    const entries = items.map(normalizeOutboxItem)
      .map((entry, index) => ({ entry: entry, index: index }))
      .sort((a, b) => (b.entry.at || 0) - (a.entry.at || 0) || b.index - a.index)
      .slice(0, 50)
      .map(({ entry }) => entry);
    $('outbox').replaceChildren(...entries.map((entry) => h('li', { class: 'outbox-item', 'data-channel': entry.channel },
      h('div', { class: 'outbox-meta' },
        h('span', { class: 'channel-badge', text: entry.channel === 'email' ? 'E-mail' : entry.channel.toUpperCase() }),
        entry.to ? h('span', { class: 'outbox-to', text: entry.to }) : null,
        entry.severity ? h('span', { class: 'outbox-sev', 'data-severity': entry.severity, text: entry.severity }) : null,
        entry.at ? h('time', { class: 'outbox-at', text: new Date(entry.at).toLocaleTimeString() }) : null),
      entry.subject ? h('p', { class: 'outbox-subject', text: entry.subject }) : null,
      h('p', { class: 'outbox-body', text: entry.body || '(empty message)' }))));
    $('outbox-empty').hidden = entries.length > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------

  function tokenBanner() {
    const exp = state.principal && Number(state.principal.exp);
    if (exp && exp * 1000 < Date.now()) return 'Your token has expired: ask for a new dashboard link.';
    return '';
  }

  function renderPrincipal() {
    const p = state.principal;
    setText($('who-name'), p && p.sub ? p.sub : '—');
    const role = p && p.role ? String(p.role) : state.token ? 'unknown role' : 'no token';
    const badge = $('who-role');
    setText(badge, role + (state.readOnly && state.token ? ' · read-only' : ''));
    badge.dataset.role = role;
    $('readonly-note').hidden = !state.readOnly;
    document.body.classList.toggle('read-only', state.readOnly);
  }

  const TOKEN_KEY = STORAGE_KEY + '.token';

  /**
   * SMS and e-mail links carry no token (<dashboard>/#a=<alert_id>): the page remembers the token it was
   * last opened with on this device until the token expires, so such a link opens straight onto its alert.
   */
  function rememberToken(token) {
    const payload = decodeTokenPayload(token);
    if (!payload || !Number(payload.exp)) return; // a token that never expires is not kept
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (err) {
      /* private mode: the link needs its token */
    }
  }

  function recalledToken() {
    try {
      const token = localStorage.getItem(TOKEN_KEY) || '';
      const payload = decodeTokenPayload(token);
      if (payload && Number(payload.exp) * 1000 > Date.now()) return token;
      localStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      /* unreadable storage: no remembered token */
    }
    return '';
  }

  function start() {
    const params = new URLSearchParams(window.location.search);
    state.token = params.get('token') || '';
    if (state.token) rememberToken(state.token);
    else state.token = recalledToken();
    state.principal = decodeTokenPayload(state.token);
    // The server refuses agents' actions anyway; hiding the buttons just saves them the error.
    const role = state.principal && state.principal.role;
    state.readOnly = !role || role === 'agent';
    loadPreferences();
    renderPrincipal();
    renderToggles();
    refreshFilterOptions();
    renderTiles();
    renderAlerts();

    for (const id of ['filter-team', 'filter-queue', 'filter-severity']) $(id).addEventListener('change', onFilterChange);
    $('filters').addEventListener('submit', (event) => event.preventDefault());
    $('toggle-sound').addEventListener('click', toggleSound);
    $('toggle-notify').addEventListener('click', toggleNotify);
    $('reconnect-now').addEventListener('click', () => {
      conn.attempt = Math.max(0, conn.attempt - 1);
      connect();
    });
    setInterval(() => {
      checkHeartbeat();
      tickClocks();
      updateReconnectCountdown();
    }, HEARTBEAT_CHECK_MS);
    // Back in view (another tab, a locked phone): the tiles may be a refresh period old; refresh now.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && $('connection').dataset.state === 'live') refreshUnlessWaiting();
    });
    tickClocks();

    // The ops outbox is the whole floor's messages: never on an agent's (read-only) page.
    outbox.url = state.readOnly ? null : outboxUrl();
    if (outbox.url) pollOutbox();
    else $('outbox-panel').hidden = true;
    connect();
  }

  // For tests and for poking at the page from the console; nothing here is needed to run it.
  window.floorwatch = {
    state: state,
    connection: conn,
    decodeTokenPayload: decodeTokenPayload,
    webSocketUrl: webSocketUrl,
    alertKind: alertKind,
    formatMetric: formatMetric,
    formatDuration: formatDuration,
    describeScope: describeScope,
    normalizeOutboxItem: normalizeOutboxItem,
    receive: onMessage, // feed a raw server message, as the socket would
    heartbeatVerdict: heartbeatVerdict,
    timing: { REFRESH_MS, PING_AFTER_SILENCE_MS, HEARTBEAT_DEADLINE_MS, HEARTBEAT_CHECK_MS, HEARTBEAT_CHECK_CAP_MS,
      FIRST_SNAPSHOT_DEADLINE_MS },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
