/* Runs the dashboard's own heartbeat verdict (dashboard/app.js, `heartbeatVerdict`) against a scripted
 * server, in simulated time, without a browser: tests/unit/dashboard/test_heartbeat.py drives it.
 *
 * usage: node heartbeat_sim.js <app.js> '<scenario JSON>'
 * scenario: {duration_ms,
 *            pong_ms: how long a ping takes to be answered (null: never answered),
 *            snapshot_ms: how long a refresh (every REFRESH_MS, the page's timer) takes to be answered
 *              (null: never answered: a backend that stopped),
 *            stall_at_ms: from then nothing passes either way and nothing closes (null: never),
 *            holds: [[from_ms, to_ms], ...]: the page does not run (its timers fire once, late, after),
 *            pushes_every_ms: server pushes (null: none; lost too once stalled)}
 * prints {dropped_at_ms (null: never), pings, refreshes}
 */
'use strict';
const fs = require('fs');
const vm = require('vm');

const context = { window: {}, document: { readyState: 'loading', addEventListener() {} }, console };
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[2], 'utf8'), context); // start() waits for DOMContentLoaded
const { heartbeatVerdict, timing } = context.window.floorwatch;
const s = JSON.parse(process.argv[3]);

const STEP = 100; // ms of simulated time per step
const beat = { silentMs: 0, lastCheckAt: null, pinged: false }; // live: the first snapshot just came
const arrivals = []; // times at which a message reaches the page
let pings = 0;
let refreshes = 0;
let nextCheck = timing.HEARTBEAT_CHECK_MS;
let nextRefresh = timing.REFRESH_MS;
let nextPush = s.pushes_every_ms || Infinity;
const stalled = (t) => s.stall_at_ms !== null && t >= s.stall_at_ms;
const held = (t) => (s.holds || []).some(([from, to]) => t >= from && t < to);

function request(t, latency) {
  if (latency !== null && !stalled(t) && !stalled(t + latency)) arrivals.push(t + latency);
}

let dropped = null;
for (let t = 0; t <= s.duration_ms && dropped === null; t += STEP) {
  if (t >= nextPush) {
    if (!stalled(t)) arrivals.push(t);
    nextPush += s.pushes_every_ms;
  }
  if (held(t)) continue; // nothing runs; timers and messages wait
  // Timers first (a late timer may run before messages queued behind it), then messages.
  if (t >= nextRefresh) {
    refreshes += 1;
    request(t, s.snapshot_ms);
    while (nextRefresh <= t) nextRefresh += timing.REFRESH_MS; // an interval fires once however late
  }
  if (t >= nextCheck) {
    const verdict = heartbeatVerdict(beat, t, 'live');
    if (verdict === 'ping') {
      pings += 1;
      request(t, s.pong_ms);
    }
    if (verdict === 'drop') dropped = t;
    while (nextCheck <= t) nextCheck += timing.HEARTBEAT_CHECK_MS;
  }
  for (let i = arrivals.length - 1; i >= 0; i -= 1) {
    if (arrivals[i] <= t) {
      arrivals.splice(i, 1);
      beat.silentMs = 0; // heard(): any message
      beat.pinged = false;
    }
  }
}
process.stdout.write(JSON.stringify({ dropped_at_ms: dropped, pings, refreshes }));
