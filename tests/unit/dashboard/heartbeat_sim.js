/* Runs the dashboard's own heartbeat verdict (dashboard/app.js, `heartbeatVerdict`) against a scripted
 * server, in simulated time, without a browser: tests/unit/dashboard/test_heartbeat.py drives it.
 *
 * usage: node heartbeat_sim.js <app.js> '<scenario JSON>'
 * scenario: {duration_ms, latency_ms (ping to pong), ping_phase_ms (when the ping timer first fires),
 *            stall_at_ms (null: never; from then nothing passes either way, nothing closes),
 *            holds: [[from_ms, to_ms], ...] (the page does not run: its timers fire once, late, after),
 *            pushes_every_ms (null: none; server pushes, lost too once stalled)}
 * prints {dropped_at_ms (null: never), pings}
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
const beat = { silentMs: 0, lastCheckAt: null };
const arrivals = []; // times at which a message reaches the page
let pings = 0;
let nextCheck = timing.HEARTBEAT_CHECK_MS;
let nextPing = s.ping_phase_ms;
let nextPush = s.pushes_every_ms || Infinity;
const stalled = (t) => s.stall_at_ms !== null && t >= s.stall_at_ms;
const held = (t) => (s.holds || []).some(([from, to]) => t >= from && t < to);

function ping(t) {
  pings += 1;
  if (!stalled(t) && !stalled(t + s.latency_ms)) arrivals.push(t + s.latency_ms);
}

let dropped = null;
for (let t = 0; t <= s.duration_ms && dropped === null; t += STEP) {
  if (t >= nextPush) {
    if (!stalled(t)) arrivals.push(t);
    nextPush += s.pushes_every_ms;
  }
  if (held(t)) continue; // nothing runs; timers and messages wait
  // Timers first (a late timer may run before messages queued behind it), then messages.
  if (t >= nextPing) {
    ping(t);
    while (nextPing <= t) nextPing += timing.PING_MS; // an interval fires once however late
  }
  if (t >= nextCheck) {
    const verdict = heartbeatVerdict(beat, t, 'live');
    if (verdict === 'ping') ping(t);
    if (verdict === 'drop') dropped = t;
    while (nextCheck <= t) nextCheck += timing.HEARTBEAT_CHECK_MS;
  }
  for (let i = arrivals.length - 1; i >= 0; i -= 1) {
    if (arrivals[i] <= t) {
      arrivals.splice(i, 1);
      beat.silentMs = 0; // heard(): any message
    }
  }
}
process.stdout.write(JSON.stringify({ dropped_at_ms: dropped, pings }));
