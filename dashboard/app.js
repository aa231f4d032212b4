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

  const ACK_TARGET_SECONDS = 30; // "acknowledge within 30 s, act within 90 s"
  const REFRESH_MS = 5000; // tiles poll: the `refresh` action
  const OUTBOX_MS = 3000;
  const ACTION_TIMEOUT_MS = 10000;
  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const RESOLVED_KEEP = 50;
  const SEEN_KEEP = 5000;
  const LIVE_SKEW_MS = 60000; // a pushed transition is older than this only when clocks disagree // transition ids remembered for dedupe (delivery is at-least-once)
  const SEVERITY_RANK = { info: 1, warning: 2, critical: 3 };
  const STATE_RANK = { none: 0, ok: 1, info: 2, warning: 3, critical: 4 };
  const STORAGE_KEY = 'floorwatch.dashboard.v1';

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
    return /service_level|abandon_rate|occupancy|adherence|_rate$|_ratio$/.test(String(metric || ''));
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
    return {
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
      notes: [],
      last_transition: null,
      resolved_at: null,
      first_seen: now,
      seen_live: false, // true when a pushed transition, not a snapshot, brought it
      updated_at: now,
    };
  }

  /** Context fields a later message may fill in (the first one seen can lack them). */
  function mergeContext(alert, data) {
    for (const key of ['rule', 'scope', 'queue_id', 'team_id', 'metric', 'link', 'trigger_rule']) {
      if (data[key]) alert[key] = data[key];
    }
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
      metric: a.metric, value: a.value }));
    const known = new Set(rows.map((row) => row.rule + '|' + row.scope));
    for (const entry of incident.members) {
      const member = parseMember(entry);
      if (known.has(member.rule + '|' + member.scope)) continue;
      known.add(member.rule + '|' + member.scope);
      rows.push({ id: null, rule: member.rule, severity: member.severity, scope: member.scope, metric: null, value: null });
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
    if (t.value !== undefined && t.value !== null) {
      alert.value = t.value;
      alert.no_data_since = null; // a measured value: the data is back
    }
    if (t.threshold !== undefined && t.threshold !== null) alert.threshold = t.threshold;

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
        if (t.actor) alert.notes.push({ at: at, actor: t.actor, text: 'snoozed' + (t.note ? ': ' + t.note : '') });
        break;
      case 'noted':
        if (t.note) alert.notes.push({ at: at, actor: t.actor || '', text: t.note });
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
        fresh.notes = existing.notes;
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

  const TILE_SMALL_METRICS = [
    ['contacts_in_queue', 'In queue'],
    ['agents_available', 'Agents available'],
    ['abandon_rate', 'Abandon rate'],
    ['customer_sentiment', 'Sentiment'],
  ];

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
      h('span', { class: 'kpi-value', text: hasValue ? formatPercent(Number(m.value)) : '—' }),
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
      h('span', { class: 'kpi-value', text: hasValue ? formatDuration(value) : '—' }),
      bar(fraction, 'bar-sla' + (fraction > 1 ? ' bar-over' : ''), 'SLA countdown: ' + sub),
      h('span', { class: 'kpi-sub', text: sub }));
  }

  function renderSmallMetric(key, label, metric) {
    const m = metric || {};
    const s = metricState(m);
    const value = s === 'none' ? '—' : formatMetric(key, m.value);
    return h('div', { class: 'kpi kpi-small', 'data-state': s, 'data-metric': key, title: label + ': ' + stateLabel(s) },
      h('span', { class: 'kpi-label', text: label }),
      h('span', { class: 'kpi-value', text: value }));
  }

  function renderTile(tile) {
    const metrics = tile.metrics || {};
    const worst = worstState(metrics);
    const queueId = tileQueueId(tile);
    const title = tile.name || humanize(queueId) || tile.scope;
    return h('article', { class: 'tile', 'data-state': worst, 'data-queue': queueId,
      'aria-label': title + ': ' + stateLabel(worst) },
    h('header', { class: 'tile-head' },
      h('h3', { class: 'tile-title', text: title }),
      h('span', { class: 'tile-state', text: stateLabel(worst) })),
    h('div', { class: 'tile-main' },
      renderServiceLevel(metrics.service_level), renderLongestWait(metrics.longest_wait_seconds)),
    h('div', { class: 'tile-small' },
      ...TILE_SMALL_METRICS.map(([key, label]) => renderSmallMetric(key, label, metrics[key]))));
  }

  function renderTiles() {
    const box = $('tiles');
    const visible = state.tiles.filter(tilePassesFilters)
      .slice()
      .sort((a, b) => tileQueueId(a).localeCompare(tileQueueId(b)));
    box.replaceChildren(...visible.map(renderTile));
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

  function alertDetail(alert) {
    const parts = [describeScope(alert.scope)];
    if (isIncident(alert)) {
      const count = alert.member_rows ? alert.member_rows.length : alert.members.length;
      parts.push('incident of ' + count + ' alert' + (count === 1 ? '' : 's'));
      if (alert.team_id) parts.push('team ' + alert.team_id);
      return parts.join(' · ');
    }
    if (alert.value !== null && alert.value !== undefined) {
      let text = formatMetric(alert.metric, alert.value);
      if (alert.threshold !== null && alert.threshold !== undefined) {
        text += ' (threshold ' + formatMetric(alert.metric, alert.threshold) + ')';
      }
      parts.push(text);
    }
    if (alert.team_id) parts.push('team ' + alert.team_id);
    return parts.join(' · ');
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
    node.dataset.severity = alert.severity;
    node.dataset.kind = kind;
    node.dataset.status = resolvedList ? 'resolved' : alert.acknowledged ? 'acknowledged' : alert.status;
    node.classList.toggle('is-acked', alert.acknowledged);
    node.classList.toggle('is-pulsing', alert.severity === 'critical' && !alert.acknowledged && !resolvedList);
    const icon = node.querySelector('.alert-icon');
    if (icon.dataset.kind !== kind) {
      icon.innerHTML = ICONS[kind]; // static markup from ICONS only
      icon.dataset.kind = kind;
      icon.title = KIND_LABELS[kind];
    }
    setText(node.querySelector('.sev-badge'), alert.severity.toUpperCase() + ' · ' + KIND_LABELS[kind] +
      (incident ? ' · Incident' : ''));
    setText(node.querySelector('.alert-title'), ruleTitle(rule, alert.metric));
    setText(node.querySelector('.alert-detail'), alertDetail(alert));
    node.querySelector('.alert-detail').title = alert.scope;
    renderMembers(node.querySelector('.incident-members'), incident ? alert.member_rows : []);
    renderNotes(node.querySelector('.alert-notes'), alert);
    updateAlertActions(node, alert, resolvedList);
    updateAlertClock(node, alert, resolvedList);
  }

  /** An incident card's member alerts: title, scope, severity and value, one line each. */
  function renderMembers(list, rows) {
    const lines = rows.map((row) => [row.id || '', row.severity, ruleTitle(row.rule, row.metric),
      describeScope(row.scope), formatMetric(row.metric, row.value), row.scope]);
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

  function renderNotes(list, alert) {
    const lines = [];
    if (alert.escalation_level > 0 && (alert.acknowledged || alert.escalation_note)) {
      lines.push('Escalated (level ' + alert.escalation_level + ')' +
        (alert.escalation_note ? ' — ' + alert.escalation_note : ''));
    }
    if (alert.status === 'snoozed') {
      lines.push('Snoozed' + (alert.snoozed_until ? ' until ' +
        new Date(alert.snoozed_until + state.clockOffsetMs).toLocaleTimeString() : ''));
    }
    if (alert.flapping) lines.push('Flapping — notifications paused until it is stable');
    if (alert.no_data_since) {
      lines.push('No data since ' + new Date(alert.no_data_since + state.clockOffsetMs).toLocaleTimeString() +
        ' — last state kept');
    }
    for (const note of alert.notes.slice(-3)) lines.push((note.actor ? note.actor + ': ' : '') + note.text);
    if (alert.resolved_at) lines.push('Resolved' + (alert.resolved_by ? ' by ' + alert.resolved_by : ''));
    const key = lines.join('\n');
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...lines.map((line) => h('li', { text: line })));
  }

  function updateAlertActions(node, alert, resolvedList) {
    const actions = node.querySelector('.alert-actions');
    actions.hidden = state.readOnly || resolvedList;
    const ack = actions.querySelector('[data-action="ack"]');
    const hadFocus = document.activeElement === ack;
    // Busy is aria-disabled, not disabled: a disabled button drops the keyboard focus.
    ack.setAttribute('aria-disabled', String(ack.dataset.busy === '1'));
    // Once acknowledged the timer line says by whom; the button goes (keyboard focus moves on to Note).
    ack.hidden = alert.acknowledged;
    setText(ack, ack.dataset.busy === '1' ? 'Acknowledging…' : 'Acknowledge');
    if (hadFocus && ack.hidden) actions.querySelector('[data-action="note"]').focus();
    const join = actions.querySelector('[data-action="join"]');
    if (isWebLink(alert.link)) {
      join.setAttribute('href', alert.link);
      join.removeAttribute('aria-disabled');
      join.title = 'Open the live session';
    } else {
      join.removeAttribute('href');
      join.setAttribute('aria-disabled', 'true');
      join.title = 'No live session link for this alert';
    }
    const form = node.querySelector('.alert-form');
    const wanted = resolvedList || state.readOnly ? null : openForms.get(alert.alert_id) || null;
    if ((form.dataset.kind || null) !== wanted) renderAlertForm(form, alert.alert_id, wanted);
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
    const barNode = timer.querySelector('.ack-bar');
    const fill = barNode.querySelector('span');
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
    } else if (alert.escalation_level > 0) {
      // The server escalates only what was not acknowledged in time, whatever this page counted.
      elapsed = Math.max(ACK_TARGET_SECONDS + 1, (now - start) / 1000);
      text = 'Not acknowledged in time — escalated to level ' + alert.escalation_level;
    } else {
      elapsed = Math.max(0, (now - start) / 1000);
      const left = ACK_TARGET_SECONDS - elapsed;
      text = left >= 0 ? 'Acknowledge within ' + formatDuration(left)
        : 'Unacknowledged — ' + formatDuration(-left) + ' past the ' + ACK_TARGET_SECONDS + ' s target';
    }
    const over = elapsed > ACK_TARGET_SECONDS;
    timer.dataset.state = alert.acknowledged ? (over ? 'late' : 'met') : over ? 'over' : 'running';
    fill.style.width = Math.round(Math.min(1, elapsed / ACK_TARGET_SECONDS) * 100) + '%';
    barNode.setAttribute('aria-valuenow', String(Math.round(Math.min(elapsed, ACK_TARGET_SECONDS))));
    barNode.setAttribute('aria-label', 'Acknowledgement timer');
    setText(timer.querySelector('.ack-text'), text);
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
    return alerts.filter((a) => (isIncident(a) ? incidents.has(a.alert_id)
      : admits(a) && !(a.incident_id && incidents.has(a.incident_id))));
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
    if (kind === 'escalate') {
      const confirm = h('button', { type: 'button', class: 'btn btn-danger', text: 'Escalate now' });
      confirm.addEventListener('click', () => {
        sendAction('escalate', alertId, {}, confirm);
        closeForm(alertId);
      });
      form.replaceChildren(h('div', { class: 'form-row' },
        h('span', { class: 'form-label', text: 'Page the next level of the escalation chain?' }), confirm, cancel));
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
    if (action === 'join') {
      if (!target.hasAttribute('href')) event.preventDefault();
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
    snapshotRequests: new Map(), // request_id -> sent at (client ms)
    pending: new Map(), // request_id -> {action, alertId, button, timer}
  };

  function setConnection(status, text) {
    const box = $('connection');
    box.dataset.state = status;
    setText($('connection-text'), text);
    $('reconnect-now').hidden = status !== 'reconnecting';
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

  function connect() {
    clearTimeout(conn.reconnectTimer);
    conn.reconnectTimer = null;
    if (!state.token) {
      setConnection('offline', 'No token');
      showBanner('No token in the address: open the dashboard URL printed by `make demo` (it ends in ?token=…).');
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
    ws.addEventListener('open', () => {
      if (conn.ws !== ws) return;
      setConnection('syncing', 'Syncing…');
      requestSnapshot('subscribe'); // on every (re)connect: the snapshot resyncs what we missed
      clearInterval(conn.refreshTimer);
      conn.refreshTimer = setInterval(() => requestSnapshot('refresh'), REFRESH_MS);
    });
    ws.addEventListener('message', (event) => {
      if (conn.ws === ws) onMessage(event.data);
    });
    ws.addEventListener('close', () => {
      if (conn.ws !== ws) return;
      conn.ws = null;
      clearInterval(conn.refreshTimer);
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
    setConnection('reconnecting', 'Offline — retrying in ' + left + ' s');
  }

  function failPending(message) {
    for (const [requestId, pending] of conn.pending) {
      clearTimeout(pending.timer);
      settleButton(pending);
      toast(actionLabel(pending.action) + ' not confirmed: ' + message, 'error');
      conn.pending.delete(requestId);
    }
  }

  function actionLabel(action) {
    return { ack: 'Acknowledge', snooze: 'Snooze', note: 'Note', feedback: 'Feedback', escalate: 'Escalate',
      resolve: 'Resolve' }[action] || humanize(action);
  }

  function settleButton(pending) {
    if (!pending.button) return;
    delete pending.button.dataset.busy;
    pending.button.removeAttribute('aria-busy');
    pending.button.removeAttribute('aria-disabled');
    renderAlerts();
  }

  function sendAction(action, alertId, extra, button) {
    if (state.readOnly) return;
    const requestId = nextRequestId(action);
    const message = Object.assign({ action: action, alert_id: alertId, request_id: requestId }, extra || {});
    if (!send(message)) {
      toast('Not connected: ' + actionLabel(action).toLowerCase() + ' was not sent. Try again when live.', 'error');
      return;
    }
    const pending = { action: action, alertId: alertId, button: button || null, timer: null };
    if (button) {
      button.dataset.busy = '1';
      button.setAttribute('aria-busy', 'true');
      button.setAttribute('aria-disabled', 'true');
    }
    pending.timer = setTimeout(() => {
      conn.pending.delete(requestId);
      settleButton(pending);
      toast(actionLabel(action) + ': no answer from the server yet.', 'error');
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
    const title = ruleTitle(displayRule(alert), alert.metric);
    if (result.outcome === 'opened' || result.outcome === 'upgraded') {
      const verb = result.outcome === 'opened' ? 'New' : 'Upgraded to';
      announce(verb + ' ' + alert.severity + ' alert: ' + title + ', ' + describeScope(alert.scope),
        alert.severity === 'critical');
      if (alert.severity !== 'info') beep(alert.severity);
      desktopNotify(alert, title);
    } else if (result.outcome === 'resolved') {
      announce('Resolved: ' + title + ', ' + describeScope(alert.scope), false);
    } else if (msg.transition === 'acknowledged') {
      announce('Acknowledged' + (alert.acknowledged_by ? ' by ' + alert.acknowledged_by : '') + ': ' + title, false);
    }
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
      toast((action ? actionLabel(action) + ' failed: ' : '') + errorText, 'error');
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

  function start() {
    const params = new URLSearchParams(window.location.search);
    state.token = params.get('token') || '';
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
      tickClocks();
      updateReconnectCountdown();
    }, 1000);
    tickClocks();

    outbox.url = outboxUrl();
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
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
